import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3RawMailArchive } from '../../lambdas/records/aws/s3-raw-mail-archive';
import { rawMailKey } from '../../lambdas/records/raw-mail';
import { localS3Client } from '../../local/s3-client';
import { startS3Server } from '../../local/s3-server';
import type { S3Server } from '../../local/s3-server';

const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const BUCKET = 'anshin-inbound';

let directory: string;
let server: S3Server;
let s3: S3Client;
let archive: S3RawMailArchive;
/** Each test writes below its own message-ID namespace, so sweeps and listings of one do not see another's. */
let run = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'anshin-raw-mail-'));
  server = await startS3Server({ directory, buckets: [BUCKET], port: 0, credentials: CREDENTIALS });
  s3 = localS3Client({ region: 'ap-northeast-1', credentials: CREDENTIALS, endpoint: server.url });
  archive = new S3RawMailArchive(s3, BUCKET);
});

afterAll(async () => {
  s3.destroy();
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  run += 1;
  // Sweeps cover all of inbound/, so nothing from an earlier test may be left there.
  await archive.sweepOlderThan(new Date(Date.now() + 3_600_000), { maxKeys: 1000 });
});

const id = (name: string): string => `t${run}-${name}`;

async function put(key: string, body: Buffer | string = `raw mail of ${key}\r\n`): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function exists(key: string): Promise<boolean> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    await Body?.transformToByteArray();
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return false;
    throw error;
  }
}

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  let keyMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, KeyMarker: keyMarker, MaxKeys: 7 }));
    keys.push(...(page.Versions ?? []).map((version) => version.Key ?? ''));
    if (!page.IsTruncated) return keys;
    keyMarker = page.NextKeyMarker;
  }
}

const HOUR_MS = 3_600_000;

/** Stored objects as if they had been stored an hour ago, instead of waiting for time to pass. */
async function storedAnHourAgo(keys: readonly string[]): Promise<void> {
  const anHourAgo = new Date(Date.now() - HOUR_MS);
  await Promise.all(keys.map((key) => server.setLastModified(BUCKET, key, anHourAgo)));
}

describe('the local S3 on an unversioned bucket', () => {
  it('lists every object as its one null version, page by page', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => rawMailKey(id(`m${i}`)));
    for (const key of keys) await put(key, 'abc');

    const first = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'inbound/', MaxKeys: 3 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextKeyMarker).toBe(keys[2]);
    expect(first.NextVersionIdMarker).toBe('null');
    expect(first.DeleteMarkers).toBeUndefined();
    expect(first.Versions).toEqual(
      keys.slice(0, 3).map((key) =>
        expect.objectContaining({ Key: key, VersionId: 'null', IsLatest: true, Size: 3, StorageClass: 'STANDARD', ETag: '"900150983cd24fb0d6963f7d28e17f72"', LastModified: expect.any(Date) }),
      ),
    );

    const rest = await s3.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'inbound/', KeyMarker: first.NextKeyMarker, VersionIdMarker: first.NextVersionIdMarker }),
    );
    expect(rest.IsTruncated).toBe(false);
    expect(rest.Versions?.map((version) => version.Key)).toEqual(keys.slice(3));
  });
});

describe('S3RawMailArchive against the local S3', () => {
  it('erases exactly the named messages, large ones included, and not keys they are a prefix of', async () => {
    const large = randomBytes(12 * 1024 * 1024);
    await put(rawMailKey(id('abc')));
    await put(rawMailKey(id('abcd')));
    await put(rawMailKey(id('ab')));
    await put(rawMailKey(id('large')), large);
    await put(`${rawMailKey(id('abc'))}/attachment`);

    await expect(archive.countMessageVersions([id('abc'), id('large')])).resolves.toBe(2);
    await expect(archive.eraseMessages([id('abc'), id('large'), id('never-stored')])).resolves.toBe(2);

    expect(await exists(rawMailKey(id('abc')))).toBe(false);
    expect(await exists(rawMailKey(id('large')))).toBe(false);
    expect(await exists(rawMailKey(id('abcd')))).toBe(true);
    expect(await exists(rawMailKey(id('ab')))).toBe(true);
    expect(await exists(`${rawMailKey(id('abc'))}/attachment`)).toBe(true);
    await expect(archive.countMessageVersions([id('abc'), id('large')])).resolves.toBe(0);
    await expect(archive.countMessageVersions([id('abcd'), id('ab'), id('abcd')])).resolves.toBe(2);
    // Erasing again finds nothing left to erase.
    await expect(archive.eraseMessages([id('abc'), id('large')])).resolves.toBe(0);
  });

  it('erases many messages at once', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => id(`bulk-${String(i).padStart(2, '0')}`));
    await Promise.all(ids.map((messageId) => put(rawMailKey(messageId), 'x')));
    await put(rawMailKey(id('bulk-bystander')));

    await expect(archive.eraseMessages(ids)).resolves.toBe(60);
    await expect(archive.countMessageVersions(ids)).resolves.toBe(0);
    // Of this test's raw mail only the bystander is left; what the other tests stored is theirs to check.
    expect((await storedKeys()).filter((key) => key.startsWith(rawMailKey(id('bulk-'))))).toEqual([rawMailKey(id('bulk-bystander'))]);
  });

  it('sweeps in pages everything at or before the cutoff, and only that', async () => {
    const old = Array.from({ length: 23 }, (_, i) => rawMailKey(id(`old-${String(i).padStart(2, '0')}`)));
    await Promise.all(old.map((key) => put(key)));
    await put(rawMailKey(id('old-large')), randomBytes(6 * 1024 * 1024));
    await put('outside/inbound-prefix');
    await storedAnHourAgo([...old, rawMailKey(id('old-large')), 'outside/inbound-prefix']);
    const cutoff = new Date(Date.now() - HOUR_MS / 2);
    const recent = Array.from({ length: 6 }, (_, i) => rawMailKey(id(`recent-${i}`)));
    await Promise.all(recent.map((key) => put(key)));

    let removed = 0;
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await archive.sweepOlderThan(cutoff, { maxKeys: 4, cursor });
      expect(page.removed).toBeLessThanOrEqual(4);
      removed += page.removed;
      pages += 1;
      cursor = page.cursor;
      expect(pages).toBeLessThan(20);
    } while (cursor !== undefined);

    expect(removed).toBe(24);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(30 / 4));
    expect((await storedKeys()).sort()).toEqual([...recent, 'outside/inbound-prefix'].sort());
  });

  it('sweeps nothing newer than the cutoff', async () => {
    const cutoff = new Date(Date.now() - HOUR_MS / 2);
    await put(rawMailKey(id('fresh')));

    await expect(archive.sweepOlderThan(cutoff, { maxKeys: 1000 })).resolves.toEqual({ removed: 0 });
    expect(await exists(rawMailKey(id('fresh')))).toBe(true);
  });
});
