import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Account ID of every local resource; AWS reserves no real account with it. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export type KeyUsage = 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC' | 'SIGN_VERIFY';
type KeySpec = 'SYMMETRIC_DEFAULT' | 'HMAC_256' | 'ECC_NIST_P256';

export interface LocalKey {
  readonly keyId: string;
  readonly arn: string;
  readonly alias: string;
  readonly usage: KeyUsage;
  readonly spec: KeySpec;
  readonly createdAt: Date;
  /** 32 bytes (the AES-256-GCM key or the HMAC-SHA-256 secret), or a P-256 private key as PKCS#8 DER. */
  readonly material: Buffer;
}

/** The keys the functions use, named as the deployed stack's aliases are. */
const KEY_ROLES = [
  { role: 'data', alias: 'alias/anshin-data', usage: 'ENCRYPT_DECRYPT', spec: 'SYMMETRIC_DEFAULT' },
  { role: 'hmac', alias: 'alias/anshin-hmac', usage: 'GENERATE_VERIFY_MAC', spec: 'HMAC_256' },
  { role: 'receipts', alias: 'alias/anshin-receipts', usage: 'SIGN_VERIFY', spec: 'ECC_NIST_P256' },
  { role: 'pseudonym', alias: 'alias/anshin-pseudonym', usage: 'GENERATE_VERIFY_MAC', spec: 'HMAC_256' },
] as const;

interface StoredKey {
  readonly role: string;
  readonly keyId: string;
  readonly createdAt: string;
  readonly material: string;
}

interface StoredKeyring {
  readonly version: 1;
  readonly keys: readonly StoredKey[];
}

class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/**
 * Key material of the local KMS, kept in one file so data encrypted before a restart still decrypts
 * after it. Keys are created on first use and never rotated.
 */
export class Keyring {
  private constructor(
    readonly region: string,
    readonly data: LocalKey,
    readonly hmac: LocalKey,
    readonly receipts: LocalKey,
    readonly pseudonym: LocalKey,
  ) {}

  /** Loads the keyring at `path`, creating the file (mode 0600) with fresh keys when absent. */
  static async open(path: string, region: string): Promise<Keyring> {
    const stored = await readStored(path);
    // A keyring from before a key existed gets that key added; the others stay as they were.
    const missing = KEY_ROLES.filter((role) => !stored?.keys.some((key) => key.role === role.role));
    const keys = { version: 1 as const, keys: [...(stored?.keys ?? []), ...missing.map((r) => freshKey(r))] };
    if (missing.length > 0) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    }
    // Key material is a secret even on a laptop: tighten a file someone loosened.
    await chmod(path, 0o600);
    const [data, hmac, receipts, pseudonym] = KEY_ROLES.map((role) => {
      const found = keys.keys.find((k) => k.role === role.role);
      if (!found) throw new KeyringError(`${path} has no ${role.role} key; delete the file to start with fresh keys`);
      return toLocalKey(found, role, region);
    });
    if (!data || !hmac || !receipts || !pseudonym) throw new KeyringError(`${path} is incomplete`);
    return new Keyring(region, data, hmac, receipts, pseudonym);
  }

  get keys(): readonly LocalKey[] {
    return [this.data, this.hmac, this.receipts, this.pseudonym];
  }

  /** Finds a key by key ID, key ARN, alias name or alias ARN, as KMS's `KeyId` parameter allows. */
  resolve(reference: string): LocalKey | undefined {
    const aliasArnPrefix = `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:`;
    const name = reference.startsWith(aliasArnPrefix) && reference.slice(aliasArnPrefix.length).startsWith('alias/') ? reference.slice(aliasArnPrefix.length) : reference;
    return this.keys.find((k) => k.keyId === name || k.arn === name || k.alias === name);
  }

  byKeyId(keyId: string): LocalKey | undefined {
    return this.keys.find((k) => k.keyId === keyId);
  }
}

function freshKey(role: (typeof KEY_ROLES)[number]): StoredKey {
  const material =
    role.spec === 'ECC_NIST_P256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }) : randomBytes(32);
  return { role: role.role, keyId: randomUUID(), createdAt: new Date().toISOString(), material: material.toString('base64') };
}

function toLocalKey(stored: StoredKey, role: (typeof KEY_ROLES)[number], region: string): LocalKey {
  const material = Buffer.from(stored.material, 'base64');
  if (role.spec !== 'ECC_NIST_P256' && material.length !== 32) throw new KeyringError(`the ${role.role} key's material is not 32 bytes`);
  return {
    keyId: stored.keyId,
    arn: `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/${stored.keyId}`,
    alias: role.alias,
    usage: role.usage,
    spec: role.spec,
    createdAt: new Date(stored.createdAt),
    material,
  };
}

async function readStored(path: string): Promise<StoredKeyring | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<StoredKeyring>;
  if (parsed.version !== 1 || !Array.isArray(parsed.keys)) throw new KeyringError(`${path} is not a local KMS keyring (version 1)`);
  return parsed as StoredKeyring;
}
