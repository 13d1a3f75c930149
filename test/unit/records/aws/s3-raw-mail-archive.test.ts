import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import type { DeleteObjectsCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSweepCursor, encodeSweepCursor, InvalidSweepCursorError, S3RawMailArchive } from '../../../../lambdas/records/aws/s3-raw-mail-archive';
import { rawMailKey } from '../../../../lambdas/records/raw-mail';

const BUCKET = 'anshin-inbound';
const s3 = mockClient(S3Client);
const archive = (): S3RawMailArchive => new S3RawMailArchive(new S3Client({ region: 'ap-northeast-1' }), BUCKET);
const at = (iso: string): Date => new Date(iso);

afterEach(() => s3.reset());

function deletedObjects(): NonNullable<DeleteObjectsCommandInput['Delete']>['Objects'][] {
  return s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects);
}

describe('sweep cursor', () => {
  it('gives back the markers it was made from', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (suffix, versionIdMarker) => {
        const position = versionIdMarker === undefined ? { keyMarker: `inbound/${suffix}` } : { keyMarker: `inbound/${suffix}`, versionIdMarker };
        expect(decodeSweepCursor(encodeSweepCursor(position))).toEqual(position);
      }),
    );
  });

  it('is URL- and JSON-safe text', () => {
    expect(encodeSweepCursor({ keyMarker: 'inbound/日本語?&/+', versionIdMarker: 'null' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64 JSON', 'not a cursor'],
    ['JSON but not an object', Buffer.from('"inbound/x"').toString('base64url')],
    ['a key marker outside inbound/', encodeSweepCursor({ keyMarker: 'other/x' })],
    ['no key marker', Buffer.from('{"v":"null"}').toString('base64url')],
    ['a version marker that is not text', Buffer.from('{"k":"inbound/x","v":3}').toString('base64url')],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeSweepCursor(cursor)).toThrow(InvalidSweepCursorError);
  });
});

describe('S3RawMailArchive on a versioned bucket', () => {
  it('erases every version and delete marker of exactly the named keys, naming each version', async () => {
    s3.on(ListObjectVersionsCommand, { Prefix: rawMailKey('abc') }).resolves({
      IsTruncated: true,
      NextKeyMarker: 'inbound/abcd',
      NextVersionIdMarker: 'v9',
      Versions: [
        { Key: 'inbound/abc', VersionId: 'v2', LastModified: at('2026-01-02T00:00:00Z') },
        { Key: 'inbound/abc', VersionId: 'v1', LastModified: at('2026-01-01T00:00:00Z') },
        { Key: 'inbound/abcd', VersionId: 'v9', LastModified: at('2026-01-01T00:00:00Z') },
      ],
      DeleteMarkers: [{ Key: 'inbound/abc', VersionId: 'm1', LastModified: at('2026-01-03T00:00:00Z') }],
    });
    s3.on(DeleteObjectsCommand).resolves({});

    await expect(archive().eraseMessages(['abc', 'abc'])).resolves.toBe(3);

    // The listing past `inbound/abc` holds only longer keys, so it is not followed.
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
    expect(deletedObjects()).toEqual([
      [
        { Key: 'inbound/abc', VersionId: 'v2' },
        { Key: 'inbound/abc', VersionId: 'v1' },
        { Key: 'inbound/abc', VersionId: 'm1' },
      ],
    ]);
  });

  it('follows the listing while it still holds the key', async () => {
    s3.on(ListObjectVersionsCommand, { Prefix: 'inbound/abc', KeyMarker: undefined })
      .resolves({ IsTruncated: true, NextKeyMarker: 'inbound/abc', NextVersionIdMarker: 'v2', Versions: [{ Key: 'inbound/abc', VersionId: 'v2', LastModified: at('2026-01-02T00:00:00Z') }] })
      .on(ListObjectVersionsCommand, { Prefix: 'inbound/abc', KeyMarker: 'inbound/abc', VersionIdMarker: 'v2' })
      .resolves({ IsTruncated: false, Versions: [{ Key: 'inbound/abc', VersionId: 'v1', LastModified: at('2026-01-01T00:00:00Z') }] });

    await expect(archive().countMessageVersions(['abc'])).resolves.toBe(2);
  });

  it('deletes in batches of at most 1000', async () => {
    const versions = Array.from({ length: 2500 }, (_, i) => ({ Key: 'inbound/abc', VersionId: `v${i}`, LastModified: at('2026-01-01T00:00:00Z') }));
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: versions });
    s3.on(DeleteObjectsCommand).resolves({});

    await expect(archive().eraseMessages(['abc'])).resolves.toBe(2500);
    expect(deletedObjects().map((objects) => objects?.length)).toEqual([1000, 1000, 500]);
    expect(deletedObjects().flat().map((object) => object?.VersionId)).toEqual(versions.map((version) => version.VersionId));
  });

  it('fails when S3 reports a key it did not delete', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [{ Key: 'inbound/abc', VersionId: 'v1', LastModified: at('2026-01-01T00:00:00Z') }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'inbound/abc', VersionId: 'v1', Code: 'AccessDenied', Message: 'Access Denied' }] });

    await expect(archive().eraseMessages(['abc'])).rejects.toThrow(/did not delete 1 of 1 .*AccessDenied/);
  });

  it('refuses a listing entry without a version ID rather than delete without one', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [{ Key: 'inbound/abc', LastModified: at('2026-01-01T00:00:00Z') }] });

    await expect(archive().eraseMessages(['abc'])).rejects.toThrow(/version ID/);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('refuses an empty message ID, which would name the whole prefix', async () => {
    await expect(archive().eraseMessages([''])).rejects.toThrow(/empty/);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
  });

  it('sweeps versions and delete markers at or before the cutoff and hands on the listing markers', async () => {
    const cutoff = at('2026-02-01T00:00:00Z');
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: true,
      NextKeyMarker: 'inbound/b',
      NextVersionIdMarker: 'v7',
      Versions: [
        { Key: 'inbound/a', VersionId: 'v1', LastModified: at('2026-01-31T23:59:59Z') },
        { Key: 'inbound/a', VersionId: 'v2', LastModified: cutoff },
        { Key: 'inbound/b', VersionId: 'v8', LastModified: at('2026-02-01T00:00:01Z') },
      ],
      DeleteMarkers: [{ Key: 'inbound/a', VersionId: 'm1', LastModified: at('2026-01-15T00:00:00Z') }],
    });
    s3.on(DeleteObjectsCommand).resolves({});

    const page = await archive().sweepOlderThan(cutoff, { maxKeys: 4 });

    expect(page.removed).toBe(3);
    expect(deletedObjects()).toEqual([
      [
        { Key: 'inbound/a', VersionId: 'v1' },
        { Key: 'inbound/a', VersionId: 'v2' },
        { Key: 'inbound/a', VersionId: 'm1' },
      ],
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]?.args[0].input).toMatchObject({ Bucket: BUCKET, Prefix: 'inbound/', MaxKeys: 4 });
    expect(page.cursor).toBeDefined();
    expect(decodeSweepCursor(page.cursor ?? '')).toEqual({ keyMarker: 'inbound/b', versionIdMarker: 'v7' });

    s3.resetHistory();
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    await expect(archive().sweepOlderThan(cutoff, { maxKeys: 4, cursor: page.cursor })).resolves.toEqual({ removed: 0 });
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]?.args[0].input).toMatchObject({ KeyMarker: 'inbound/b', VersionIdMarker: 'v7' });
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('fails on a truncated listing without a next marker rather than end the sweep early', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: true, Versions: [] });
    await expect(archive().sweepOlderThan(new Date(), { maxKeys: 10 })).rejects.toThrow(/next key marker/);
  });

  it.each([0, -1, 1.5, 1001])('refuses maxKeys %s', async (maxKeys) => {
    await expect(archive().sweepOlderThan(new Date(), { maxKeys })).rejects.toThrow(RangeError);
  });
});
