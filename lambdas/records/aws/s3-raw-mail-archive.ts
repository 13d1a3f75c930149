import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { ListObjectVersionsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { RawMailArchive } from '../ports';
import { RAW_MAIL_PREFIX, rawMailKey } from '../raw-mail';

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
/** Listings in flight at once when looking up many messages. */
const LIST_CONCURRENCY = 8;
/** ListObjectVersions returns at most this many entries per page, whatever is asked. */
const MAX_LIST_KEYS = 1000;

/** One stored version or delete marker. */
interface StoredVersion {
  readonly key: string;
  readonly versionId: string;
  readonly lastModified: Date;
}

/** Where a sweep goes on: the listing's next key and version markers. */
export interface SweepPosition {
  readonly keyMarker: string;
  readonly versionIdMarker?: string;
}

export class InvalidSweepCursorError extends Error {
  override readonly name = 'InvalidSweepCursorError';
}

/** Callers hold the cursor as an opaque token, so the markers' shape can change without them noticing. */
export function encodeSweepCursor(position: SweepPosition): string {
  return Buffer.from(JSON.stringify({ k: position.keyMarker, v: position.versionIdMarker }), 'utf8').toString('base64url');
}

export function decodeSweepCursor(cursor: string): SweepPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidSweepCursorError('The sweep cursor is not one this archive issued', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidSweepCursorError('The sweep cursor is not one this archive issued');
  const { k, v } = parsed as { k?: unknown; v?: unknown };
  // A marker outside the prefix would start the listing elsewhere and silently skip messages.
  if (typeof k !== 'string' || !k.startsWith(RAW_MAIL_PREFIX) || (v !== undefined && typeof v !== 'string')) {
    throw new InvalidSweepCursorError('The sweep cursor is not one this archive issued');
  }
  return v === undefined ? { keyMarker: k } : { keyMarker: k, versionIdMarker: v };
}

/**
 * Raw mail in a bucket that has versioning on: every deletion names each version explicitly, so
 * it removes the data rather than hiding it behind a delete marker, and removes the markers too.
 */
export class S3RawMailArchive implements RawMailArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async eraseMessages(sesMessageIds: readonly string[]): Promise<number> {
    const versions = await this.versionsOf(sesMessageIds);
    await this.deleteVersions(versions);
    return versions.length;
  }

  async countMessageVersions(sesMessageIds: readonly string[]): Promise<number> {
    return (await this.versionsOf(sesMessageIds)).length;
  }

  async sweepOlderThan(cutoff: Date, page: { readonly cursor?: string | undefined; readonly maxKeys: number }): Promise<{ readonly removed: number; readonly cursor?: string }> {
    if (!Number.isInteger(page.maxKeys) || page.maxKeys < 1 || page.maxKeys > MAX_LIST_KEYS) {
      throw new RangeError(`maxKeys must be an integer from 1 to ${MAX_LIST_KEYS}`);
    }
    const position = page.cursor === undefined ? undefined : decodeSweepCursor(page.cursor);
    const listing = await this.s3.send(
      new ListObjectVersionsCommand({
        Bucket: this.bucket,
        Prefix: RAW_MAIL_PREFIX,
        MaxKeys: page.maxKeys,
        KeyMarker: position?.keyMarker,
        VersionIdMarker: position?.versionIdMarker,
      }),
    );
    const expired = storedVersions(listing).filter((version) => version.lastModified.getTime() <= cutoff.getTime());
    // The markers are positions in key order, so deleting entries already listed does not shift the next page.
    await this.deleteVersions(expired);
    if (!listing.IsTruncated) return { removed: expired.length };
    if (!listing.NextKeyMarker) throw new Error('A truncated version listing came without a next key marker');
    const next = encodeSweepCursor(
      listing.NextVersionIdMarker ? { keyMarker: listing.NextKeyMarker, versionIdMarker: listing.NextVersionIdMarker } : { keyMarker: listing.NextKeyMarker },
    );
    return { removed: expired.length, cursor: next };
  }

  /** Each key takes its own listing, so a few run at once; results keep the order of the IDs. */
  private async versionsOf(sesMessageIds: readonly string[]): Promise<StoredVersion[]> {
    const keys = [...new Set(sesMessageIds.map(rawMailKey))];
    const perKey: StoredVersion[][] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < keys.length; index = next++) {
        const key = keys[index];
        if (key !== undefined) perKey[index] = await this.versionsOfKey(key);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, keys.length) }, worker));
    return perKey.flat();
  }

  /**
   * A prefix is the only filter ListObjectVersions has, and `inbound/abc` is also a prefix of
   * `inbound/abcd`, so only entries whose key is exactly this one count. Keys are listed in order
   * and the exact key sorts before every longer one, so the first other key ends the search.
   */
  private async versionsOfKey(key: string): Promise<StoredVersion[]> {
    const versions: StoredVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const listing = await this.s3.send(
        new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
      );
      const listed = storedVersions(listing);
      versions.push(...listed.filter((version) => version.key === key));
      if (!listing.IsTruncated || listed.some((version) => version.key !== key)) return versions;
      if (!listing.NextKeyMarker) throw new Error('A truncated version listing came without a next key marker');
      keyMarker = listing.NextKeyMarker;
      versionIdMarker = listing.NextVersionIdMarker;
    }
  }

  private async deleteVersions(versions: readonly StoredVersion[]): Promise<void> {
    for (let start = 0; start < versions.length; start += DELETE_BATCH) {
      const batch = versions.slice(start, start + DELETE_BATCH);
      const { Errors } = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map(({ key, versionId }) => ({ Key: key, VersionId: versionId })), Quiet: true },
        }),
      );
      // DeleteObjects answers 200 even when some keys failed; those are reported only here.
      if (Errors && Errors.length > 0) {
        const first = Errors[0];
        throw new Error(
          `S3 did not delete ${Errors.length} of ${batch.length} raw mail versions (first: ${first?.Key ?? '?'} version ${first?.VersionId ?? '?'}: ${first?.Code ?? 'unknown'})`,
        );
      }
    }
  }
}

/**
 * Versions and delete markers alike. Each must carry its version ID: a deletion without one would
 * only add another delete marker on a versioned bucket and leave the data in place.
 */
function storedVersions(listing: ListObjectVersionsCommandOutput): StoredVersion[] {
  return [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])].map((entry) => {
    if (entry.Key === undefined || entry.VersionId === undefined || entry.LastModified === undefined) {
      throw new Error('A version listing entry came without its key, version ID or modification time');
    }
    return { key: entry.Key, versionId: entry.VersionId, lastModified: entry.LastModified };
  });
}
