/** Reads a required environment variable once, at cold start, failing with its name. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function requirePositiveIntegerEnv(name: string): number {
  const value = Number(requireEnv(name));
  if (!Number.isInteger(value) || value < 1) throw new Error(`environment variable ${name} must be a positive whole number`);
  return value;
}
