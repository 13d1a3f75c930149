import { mkdir, utimes } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import S3rver from 's3rver';
import type { S3rverStore } from 's3rver';
import { closeServer, listen, LOOPBACK } from './listen';

interface S3rverAccounts {
  readonly DUMMY_ACCOUNT: { readonly id: number; readonly displayName: string; createKeyPair(accessKeyId: string, secretAccessKey: string): void };
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
  /**
   * Sets an object's last-modified time, as if it had been stored then: tests of retention by age
   * move an object back instead of waiting (S3 keeps the time to the second).
   */
  setLastModified(bucket: string, key: string, at: Date): Promise<void>;
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
  const s3rverHandler = s3rver.callback();
  const server = createServer((request, response) => {
    unversionedBucketLayer(s3rver.store, s3rverHandler, request, response).catch(() => {
      if (!response.headersSent) sendError(response, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      else response.destroy();
    });
  });
  const port = await listen(server, 'S3 (s3rver)', options.port);
  return {
    url: `http://${LOOPBACK}:${port}`,
    // s3rver answers LastModified with the stored file's modification time.
    setLastModified: (bucket, key, at) => utimes(s3rver.store.getResourcePath(bucket, key, 'object'), at, at),
    close: async () => {
      await closeServer(server);
      s3rver.logger.close();
    },
  };
}

/*
 * s3rver has no versioning: it answers ListObjectVersions (`GET /bucket?versions`) with 405 and
 * ignores the version ID of a deletion, so a deletion naming some other version would remove the
 * current object. Real S3 answers these calls on a bucket whose versioning was never enabled: every
 * object is its one version `null`, the latest, and there are no delete markers. Code that erases
 * version by version (as it must on the deployed, versioned bucket) runs against this layer, which
 * answers the listing and multi-object deletes from s3rver's own store and strips a `null` version
 * ID from single-object requests before handing them on. What it answers itself skips s3rver's
 * access key check, which verifies no signature anyway.
 */

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A multi-object delete names at most 1000 keys of at most 1024 bytes each. */
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;
const MAX_LIST_KEYS = 1000;
const NULL_VERSION = 'null';

async function unversionedBucketLayer(store: S3rverStore, next: Handler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://s3.local');
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  const isBucketPath = bucket !== '' && keyParts.join('') === '';
  if (isBucketPath && request.method === 'GET' && url.searchParams.has('versions')) {
    await listObjectVersions(store, decodeURIComponent(bucket), url.searchParams, response);
    return;
  }
  if (!isBucketPath && url.searchParams.has('versionId')) {
    if (url.searchParams.get('versionId') !== NULL_VERSION) {
      request.resume();
      sendError(response, 400, 'InvalidArgument', 'Invalid version id specified');
      return;
    }
    url.searchParams.delete('versionId');
    request.url = `${url.pathname}${url.search}`;
    next(request, response);
    return;
  }
  if (isBucketPath && request.method === 'POST' && url.searchParams.has('delete')) {
    await deleteObjects(store, decodeURIComponent(bucket), request, response);
    return;
  }
  next(request, response);
}

async function listObjectVersions(store: S3rverStore, bucket: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
  if (query.has('delimiter') || query.has('encoding-type')) {
    sendError(response, 501, 'NotImplemented', 'A parameter you provided implies functionality that is not implemented');
    return;
  }
  const maxKeysParam = query.get('max-keys') ?? String(MAX_LIST_KEYS);
  if (!/^\d+$/.test(maxKeysParam)) {
    sendError(response, 400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    return;
  }
  const prefix = query.get('prefix') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    sendError(response, 400, 'InvalidArgument', 'A version-id marker cannot be specified without a key marker.');
    return;
  }
  if (versionIdMarker !== '' && versionIdMarker !== NULL_VERSION) {
    sendError(response, 400, 'InvalidArgument', 'Invalid version id specified');
    return;
  }
  if (!(await store.getBucket(bucket))) {
    sendError(response, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    return;
  }
  const maxKeys = Math.min(MAX_LIST_KEYS, Number(maxKeysParam));
  // Each key has the one version `null`, so "after key K, version null" is simply "after key K".
  const { objects, isTruncated } =
    maxKeys === 0 ? { objects: [], isTruncated: false } : await store.listObjects(bucket, { prefix, startAfter: keyMarker, maxKeys });
  const last = objects.at(-1);
  const versions = objects.map(
    (object) =>
      `<Version>${element('Key', object.key)}${element('VersionId', NULL_VERSION)}${element('IsLatest', 'true')}` +
      `${element('LastModified', object.lastModifiedDate.toISOString())}${element('ETag', object.metadata['etag'] ?? '')}` +
      `${element('Size', String(object.size))}<Owner>${element('ID', String(accounts.DUMMY_ACCOUNT.id))}` +
      `${element('DisplayName', accounts.DUMMY_ACCOUNT.displayName)}</Owner>${element('StorageClass', 'STANDARD')}</Version>`,
  );
  const next = isTruncated && last ? `${element('NextKeyMarker', last.key)}${element('NextVersionIdMarker', NULL_VERSION)}` : '';
  sendXml(
    response,
    200,
    `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${element('Name', bucket)}${element('Prefix', prefix)}` +
      `${element('KeyMarker', keyMarker)}${element('VersionIdMarker', versionIdMarker)}${next}` +
      `${element('MaxKeys', maxKeysParam)}${element('IsTruncated', String(isTruncated))}${versions.join('')}</ListVersionsResult>`,
  );
}

/** The whole body as UTF-8, or undefined if it passes `limit` bytes (the rest is read and dropped). */
async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length <= limit) chunks.push(chunk);
  }
  return length > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}

/**
 * Multi-object delete, answered here rather than by s3rver, whose own version deletes its keys in
 * parallel and then fails (500) when two of them race to remove the same emptied directory.
 */
async function deleteObjects(store: S3rverStore, bucket: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request, MAX_DELETE_BODY_BYTES);
  const objects = body === undefined ? [] : [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => match[1] ?? '');
  if (body === undefined || objects.length === 0 || objects.length > MAX_LIST_KEYS) {
    sendError(response, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    return;
  }
  if (!(await store.getBucket(bucket))) {
    sendError(response, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    return;
  }
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(body);
  const results: string[] = [];
  for (const object of objects) {
    const key = unescapeXml(/<Key>([^<]*)<\/Key>/.exec(object)?.[1] ?? '');
    const versionId = /<VersionId>([^<]*)<\/VersionId>/.exec(object)?.[1];
    const echoed = `${element('Key', key)}${versionId === undefined ? '' : element('VersionId', versionId)}`;
    if (versionId !== undefined && versionId !== NULL_VERSION) {
      results.push(`<Error>${echoed}${element('Code', 'NoSuchVersion')}${element('Message', 'The specified version does not exist.')}</Error>`);
      continue;
    }
    // Deleting a key that does not exist succeeds, on S3 as here.
    if (await store.existsObject(bucket, key)) await store.deleteObject(bucket, key);
    if (!quiet) results.push(`<Deleted>${echoed}</Deleted>`);
  }
  sendXml(response, 200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendXml(response, status, `<Error>${element('Code', code)}${element('Message', message)}</Error>`);
}

function sendXml(response: ServerResponse, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  response.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[entity] ?? '';
  });
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
