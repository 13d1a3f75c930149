/** Input bytes per chunk: a multiple of 3, so every chunk but the last encodes without padding. */
export const BASE64_CHUNK_INPUT_BYTES = 3 * 16 * 1024;

/** Length of the base64 text (RFC 4648 §4, padded, no line breaks) of `byteLength` bytes. */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/**
 * The base64 text (RFC 4648 §4, padded, no line breaks) of the bytes of `parts` one after another,
 * as chunks of at most `BASE64_CHUNK_INPUT_BYTES` input bytes each. The parts are never joined: the
 * 1 or 2 bytes a part ends with that do not fill a group of 3 are carried into the next.
 * Concatenated, the chunks equal `Buffer.concat(parts).toString('base64')`.
 *
 * The chunks are strings, all ASCII: hashing them or writing them to a socket needs no further copy,
 * and short-lived strings are the cheapest garbage V8 collects.
 */
export function* base64Chunks(parts: readonly Uint8Array[], chunkInputBytes = BASE64_CHUNK_INPUT_BYTES): Generator<string> {
  if (chunkInputBytes <= 0 || chunkInputBytes % 3 !== 0) throw new RangeError('chunkInputBytes must be a positive multiple of 3');
  let carry = Buffer.alloc(0);
  for (const part of parts) {
    const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    let offset = 0;
    if (carry.length > 0) {
      const needed = Math.min(3 - carry.length, bytes.length);
      carry = Buffer.concat([carry, bytes.subarray(0, needed)]);
      offset = needed;
      if (carry.length < 3) continue;
      yield carry.toString('base64');
      carry = Buffer.alloc(0);
    }
    const whole = offset + Math.floor((bytes.length - offset) / 3) * 3;
    for (let start = offset; start < whole; start += chunkInputBytes) {
      yield bytes.toString('base64', start, Math.min(whole, start + chunkInputBytes));
    }
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length > 0) yield carry.toString('base64');
}
