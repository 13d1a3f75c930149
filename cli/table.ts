import stringWidth from 'string-width';

/** `text` padded with spaces to `width` terminal columns: a Japanese character takes two. */
function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - stringWidth(text)));
}

/** Rows as aligned columns under a header, the way every listing of the CLI prints. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(stringWidth(header), ...rows.map((row) => stringWidth(row[i] ?? ''))));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => padToWidth(cell, widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** An object as `key  value` lines, for the CLI's show commands. */
export function fieldLines(view: Readonly<Record<string, unknown>>): string {
  const width = Math.max(...Object.keys(view).map((key) => key.length)) + 2;
  return Object.entries(view)
    .map(([key, value]) => `${key.padEnd(width)}${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join('\n');
}

/** A time in the operator's own zone, to the second; `--json` keeps UTC. */
export function localTime(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}
