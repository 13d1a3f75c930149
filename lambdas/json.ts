/** A JSON object as `JSON.parse` gives one: a plain record, neither null nor an array. */
export type JsonObject = Record<string, unknown>;

/** The one check every event and notification reader makes before looking inside a value. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
