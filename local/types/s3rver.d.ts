// s3rver publishes no type declarations; this covers the part the local stack uses.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: ReadonlyArray<{ name: string; configs?: ReadonlyArray<string | Buffer> }>;
  }

  interface S3rverObject {
    readonly key: string;
    readonly size: number;
    readonly lastModifiedDate: Date;
    /** `etag` is already quoted, as S3 sends it. */
    readonly metadata: Readonly<Record<string, string>>;
  }

  interface S3rverStore {
    getBucket(bucket: string): Promise<unknown>;
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: S3rverObject[]; isTruncated: boolean }>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    /** Where a stored object's `resource` (`object`, `metadata.json`, …) is on disk. */
    getResourcePath(bucket: string, key: string, resource: string): string;
    deleteObject(bucket: string, key: string): Promise<void>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    readonly store: S3rverStore;
    configureBuckets(): Promise<void>;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    logger: { close(): void };
  }

  export type { S3rverObject, S3rverStore };
  export default S3rver;
}
