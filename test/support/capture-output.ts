import { vi } from 'vitest';

/**
 * Captures what the process writes to stdout and stderr (the handlers' structured logs) and keeps it
 * out of the test output, so tests can check the logs for personal data. Undone by
 * `vi.restoreAllMocks()`.
 */
export function captureProcessOutput(into: string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
}
