/** Rows as aligned columns under a header, the way every listing of the CLI prints. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** An object as `key  value` lines, for the CLI's show commands. */
export function fieldLines(view: Readonly<Record<string, unknown>>): string {
  const width = Math.max(...Object.keys(view).map((key) => key.length)) + 2;
  return Object.entries(view)
    .map(([key, value]) => `${key.padEnd(width)}${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join('\n');
}
