import { DecryptCommand, EncryptCommand, GenerateMacCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { EncryptionContext, KeyService, MacService } from '../ports';

/**
 * Real addresses are encrypted directly with KMS (they are far below Encrypt's 4 KB limit, so no
 * envelope encryption is needed), and hashed with a KMS HMAC key whose secret never leaves KMS.
 */
export class KmsKeyService implements KeyService {
  constructor(
    private readonly kms: KMSClient,
    private readonly keys: { readonly dataKeyId: string; readonly hmacKeyId: string },
  ) {}

  async encrypt(plaintext: string, context: EncryptionContext): Promise<Uint8Array> {
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({ KeyId: this.keys.dataKeyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: { ...context } }),
    );
    if (!CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return CiphertextBlob;
  }

  async decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<string> {
    // Naming the key makes KMS refuse a ciphertext made under any other key.
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keys.dataKeyId, CiphertextBlob: ciphertext, EncryptionContext: { ...context } }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(Plaintext).toString('utf8');
  }

  mac(message: string): Promise<string> {
    return kmsMac(this.kms, this.keys.hmacKeyId, message);
  }
}

/** The HMAC key alone, for functions that hash addresses but never encrypt or decrypt one. */
export class KmsMacService implements MacService {
  constructor(
    private readonly kms: KMSClient,
    private readonly hmacKeyId: string,
  ) {}

  mac(message: string): Promise<string> {
    return kmsMac(this.kms, this.hmacKeyId, message);
  }
}

async function kmsMac(kms: KMSClient, hmacKeyId: string, message: string): Promise<string> {
  const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: hmacKeyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(message, 'utf8') }));
  if (!Mac) throw new Error('KMS GenerateMac returned no MAC');
  return Buffer.from(Mac).toString('hex');
}
