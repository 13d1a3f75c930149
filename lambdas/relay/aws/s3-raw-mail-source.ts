import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RawMailSource } from '../ports';

/**
 * Reads the raw message SES stored. The body is collected as bytes into one Buffer (never a string):
 * SES's raw send takes the whole message as bytes anyway, and one contiguous buffer lets the header
 * split work on subarrays without further copies.
 */
export class S3RawMailSource implements RawMailSource {
  constructor(private readonly s3: S3Client) {}

  async read(location: { bucket: string; key: string }): Promise<Buffer> {
    const { Body, ContentLength } = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if (!Body) throw new Error(`s3://${location.bucket}/${location.key} has no body`);
    const stream = Body as AsyncIterable<Uint8Array>;
    if (ContentLength !== undefined) {
      const buffer = Buffer.allocUnsafe(ContentLength);
      let offset = 0;
      for await (const chunk of stream) {
        if (offset + chunk.length > ContentLength) throw new Error('S3 object is longer than its Content-Length');
        buffer.set(chunk, offset);
        offset += chunk.length;
      }
      if (offset !== ContentLength) throw new Error('S3 object is shorter than its Content-Length');
      return buffer;
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}
