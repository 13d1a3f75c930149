/**
 * Structured log line of the local stack: a stable snake_case event name and IDs only, never an
 * address, subject or body (the same rule as the relay's own logs).
 */
export type LocalLog = (event: string, fields?: Readonly<Record<string, string | number | boolean | undefined>>) => void;

/** One JSON object per line on stderr, so stdout stays free for what a person asked to see. */
export const jsonLinesLog: LocalLog = (event, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
};
