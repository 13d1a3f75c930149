import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSClient,
  KMSInvalidMacException,
  NotFoundException,
  VerifyMacCommand,
  GetPublicKeyCommand,
  KMSInvalidSignatureException,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer } from '../../../local/kms/server';
import type { KmsServer } from '../../../local/kms/server';

const REGION = 'ap-northeast-1';
const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

describe('local KMS endpoint', () => {
  let dir: string;
  let server: KmsServer;
  let kms: KMSClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anshin-kms-'));
    server = await startKmsServer({ keyringPath: join(dir, 'kms-keys.json'), region: REGION });
    kms = new KMSClient({ region: REGION, endpoint: server.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    kms.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const encrypt = async (text: string, context: Record<string, string>): Promise<Uint8Array> => {
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: server.dataKey.arn, Plaintext: utf8(text), EncryptionContext: context }));
    return CiphertextBlob ?? new Uint8Array();
  };

  describe('Encrypt and Decrypt', () => {
    it('returns the plaintext when the encryption context matches, in any key order', async () => {
      const blob = await encrypt('taro@example.com', { alias: 'c-7k2m9q4x', store: 'demo-shop' });

      const { Plaintext, KeyId } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { store: 'demo-shop', alias: 'c-7k2m9q4x' } }));

      expect(Buffer.from(Plaintext ?? []).toString('utf8')).toBe('taro@example.com');
      expect(KeyId).toBe(server.dataKey.arn);
    });

    it.each([
      ['a different context', { alias: 'c-other' }],
      ['no context', undefined],
      ['an extra context entry', { alias: 'c-7k2m9q4x', extra: 'x' }],
    ])('throws InvalidCiphertextException with %s', async (_label, context) => {
      const blob = await encrypt('taro@example.com', { alias: 'c-7k2m9q4x' });

      await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }))).rejects.toThrow(InvalidCiphertextException);
    });

    it('throws InvalidCiphertextException for a tampered blob', async () => {
      const blob = Buffer.from(await encrypt('taro@example.com', {}));
      blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0xff;

      await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(InvalidCiphertextException);
    });

    it('accepts the key by ID, ARN, alias name and alias ARN', async () => {
      const references = [server.dataKey.keyId, server.dataKey.arn, 'alias/anshin-data', `arn:aws:kms:${REGION}:000000000000:alias/anshin-data`];

      const keyIds = await Promise.all(
        references.map(async (KeyId) => (await kms.send(new EncryptCommand({ KeyId, Plaintext: utf8('x') }))).KeyId),
      );

      expect(keyIds).toEqual(references.map(() => server.dataKey.arn));
    });

    it('decrypts when Decrypt names the key, and refuses when it names the HMAC key', async () => {
      const blob = await encrypt('x', {});

      await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: server.dataKey.arn }))).resolves.toMatchObject({ KeyId: server.dataKey.arn });
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: server.hmacKey.arn }))).rejects.toThrow(InvalidKeyUsageException);
    });
  });

  describe('GenerateDataKey', () => {
    it.each([
      [{ KeySpec: 'AES_256' as const }, 32],
      [{ KeySpec: 'AES_128' as const }, 16],
      [{ NumberOfBytes: 64 }, 64],
    ])('returns a plaintext key of the requested size that decrypts from its blob (%o)', async (spec, length) => {
      const context = { purpose: 'test' };

      const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/anshin-data', EncryptionContext: context, ...spec }));
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }));

      expect(generated.Plaintext).toHaveLength(length);
      expect(Buffer.from(decrypted.Plaintext ?? []).equals(Buffer.from(generated.Plaintext ?? []))).toBe(true);
    });

    it('throws ValidationException without KeySpec or NumberOfBytes', async () => {
      await expect(kms.send(new GenerateDataKeyCommand({ KeyId: server.dataKey.arn }))).rejects.toMatchObject({ name: 'ValidationException' });
    });
  });

  describe('GenerateMac and VerifyMac', () => {
    const mac = async (message: string): Promise<Buffer> => {
      const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: server.hmacKey.arn, MacAlgorithm: 'HMAC_SHA_256', Message: utf8(message) }));
      return Buffer.from(Mac ?? []);
    };

    it('is deterministic per message and differs between messages', async () => {
      const [first, again, other] = await Promise.all([mac('taro@example.com'), mac('taro@example.com'), mac('hanako@example.com')]);

      expect(first).toHaveLength(32);
      expect(again.equals(first)).toBe(true);
      expect(other.equals(first)).toBe(false);
    });

    it('verifies its own MAC and rejects another message', async () => {
      const Mac = await mac('taro@example.com');
      const verify = (message: string) =>
        kms.send(new VerifyMacCommand({ KeyId: 'alias/anshin-hmac', MacAlgorithm: 'HMAC_SHA_256', Message: utf8(message), Mac }));

      await expect(verify('taro@example.com')).resolves.toMatchObject({ MacValid: true, KeyId: server.hmacKey.arn });
      await expect(verify('jiro@example.com')).rejects.toThrow(KMSInvalidMacException);
    });
  });

  describe('errors', () => {
    it('throws NotFoundException for an unknown key', async () => {
      await expect(kms.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: utf8('x') }))).rejects.toThrow(NotFoundException);
    });

    it('throws InvalidKeyUsageException when encrypting with the HMAC key', async () => {
      await expect(kms.send(new EncryptCommand({ KeyId: server.hmacKey.arn, Plaintext: utf8('x') }))).rejects.toThrow(InvalidKeyUsageException);
    });

    it('throws InvalidKeyUsageException when computing a MAC with the data key', async () => {
      const request = new GenerateMacCommand({ KeyId: server.dataKey.arn, MacAlgorithm: 'HMAC_SHA_256', Message: utf8('x') });

      await expect(kms.send(request)).rejects.toThrow(InvalidKeyUsageException);
    });

    it('throws InvalidCiphertextException for bytes it never produced', async () => {
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: utf8('not a ciphertext at all, not at all') }))).rejects.toThrow(InvalidCiphertextException);
    });
  });

  describe('DescribeKey', () => {
    it('describes both keys with their usage and spec', async () => {
      const [data, hmac] = await Promise.all([
        kms.send(new DescribeKeyCommand({ KeyId: 'alias/anshin-data' })),
        kms.send(new DescribeKeyCommand({ KeyId: server.hmacKey.keyId })),
      ]);

      expect(data.KeyMetadata).toMatchObject({ Arn: server.dataKey.arn, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', Enabled: true });
      expect(hmac.KeyMetadata).toMatchObject({ Arn: server.hmacKey.arn, KeyUsage: 'GENERATE_VERIFY_MAC', KeySpec: 'HMAC_256' });
      expect(data.KeyMetadata?.CreationDate).toBeInstanceOf(Date);
    });
  });

  describe('Sign, Verify and GetPublicKey', () => {
    it('signs with ECDSA P-256 so that the public key alone verifies, and refuses another message', async () => {
      const message = utf8('anshin-receipt:v1:abc');
      const { Signature } = await kms.send(new SignCommand({ KeyId: server.receiptKey.arn, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      const { PublicKey, KeySpec } = await kms.send(new GetPublicKeyCommand({ KeyId: server.receiptKey.arn }));
      expect(KeySpec).toBe('ECC_NIST_P256');
      const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
      expect(verify('sha256', message, publicKey, Signature!)).toBe(true);
      expect(verify('sha256', utf8('anshin-receipt:v1:abd'), publicKey, Signature!)).toBe(false);
      await expect(
        kms.send(new VerifyCommand({ KeyId: server.receiptKey.arn, Message: utf8('other'), Signature: Signature!, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })),
      ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    });

    it('adds the signing key to a keyring written before it existed, keeping the others', async () => {
      const path = join(dir, 'old-keyring.json');
      const current = JSON.parse(await readFile(join(dir, 'kms-keys.json'), 'utf8')) as { version: 1; keys: { role: string }[] };
      await writeFile(path, JSON.stringify({ version: 1, keys: current.keys.filter((key) => key.role !== 'receipts') }), { mode: 0o600 });
      const upgraded = await startKmsServer({ keyringPath: path, region: REGION });
      await upgraded.close();
      expect(upgraded.dataKey.arn).toBe(server.dataKey.arn);
      expect(upgraded.receiptKey.arn).not.toBe(server.receiptKey.arn);
      expect((JSON.parse(await readFile(path, 'utf8')) as { keys: { role: string }[] }).keys.map((key) => key.role)).toEqual(['data', 'hmac', 'pseudonym', 'receipts']);
    });
  });

  describe('key persistence', () => {
    it('keeps the keys in a 0600 file, so a restarted endpoint decrypts what the previous one encrypted', async () => {
      const blob = await encrypt('taro@example.com', { alias: 'c-1' });
      const restarted = await startKmsServer({ keyringPath: join(dir, 'kms-keys.json'), region: REGION });
      const client = new KMSClient({ region: REGION, endpoint: restarted.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

      const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { alias: 'c-1' } }));
      client.destroy();
      await restarted.close();

      expect(Buffer.from(Plaintext ?? []).toString('utf8')).toBe('taro@example.com');
      expect(restarted.dataKey.arn).toBe(server.dataKey.arn);
      expect((await stat(join(dir, 'kms-keys.json'))).mode & 0o777).toBe(0o600);
    });
  });
});
