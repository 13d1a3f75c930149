import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import S3rver from 's3rver';
import { closeServer, listen, LOOPBACK } from './listen';

interface S3rverAccounts {
  readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

// s3rver knows one hard-coded access key (S3RVER); the stack's own dummy key is registered beside it.
const require = createRequire(import.meta.url);
const accounts = require('s3rver/lib/models/account') as S3rverAccounts;

export interface S3ServerOptions {
  /** Where buckets and objects live on disk. */
  readonly directory: string;
  readonly buckets: readonly string[];
  /** 0 picks a free port. */
  readonly port: number;
  /** Access key clients sign with (signatures themselves are not checked). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface S3Server {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * s3rver in-process, path-style only (clients need `forcePathStyle: true`, since `127.0.0.1`
 * cannot carry a bucket as a subdomain). Buckets are created when absent.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  await mkdir(options.directory, { recursive: true });
  accounts.DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  // Our own server rather than s3rver's run(): its listen() leaves a taken port as an unhandled error.
  const server = createServer(s3rver.callback());
  const port = await listen(server, 'S3 (s3rver)', options.port);
  return {
    url: `http://${LOOPBACK}:${port}`,
    close: async () => {
      await closeServer(server);
      s3rver.logger.close();
    },
  };
}
