/** Plain-text tables for the benchmark report: a header row, a rule, right-aligned numbers. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = headers.map((_, column) => rows.every((row) => /^[-+]?[\d,.]+(?:\s*(?:x|%|ms|s|MB|KB|B))?$|^-$/.test(row[column] ?? '')));
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format)].join('\n');
}

/** A number with `digits` decimals and thousands separators. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
