import { createHmac, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { blobKeyId, open, seal } from './ciphertext';
import type { EncryptionContext } from './ciphertext';
import { KmsError } from './errors';
import type { Keyring, KeyUsage, LocalKey } from './keyring';

type Request = Readonly<Record<string, unknown>>;
type Response = Record<string, unknown>;

/** KMS's limit on Encrypt plaintext, GenerateMac message and similar inputs. */
const MAX_INPUT_BYTES = 4096;
const MAX_DATA_KEY_BYTES = 1024;

function requiredString(request: Request, field: string): string {
  const value = request[field];
  if (typeof value !== 'string' || value.length === 0) throw new KmsError('ValidationException', `${field} is required`);
  return value;
}

function blob(request: Request, field: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(requiredString(request, field), 'base64');
  if (bytes.length === 0 || bytes.length > maxBytes) {
    throw new KmsError('ValidationException', `${field} must be between 1 and ${maxBytes} bytes`);
  }
  return bytes;
}

function encryptionContext(request: Request): EncryptionContext {
  const value = request.EncryptionContext;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new KmsError('ValidationException', 'EncryptionContext must map strings to strings');
  }
  return value as EncryptionContext;
}

function keyFor(keyring: Keyring, request: Request, usage: KeyUsage): LocalKey {
  const reference = requiredString(request, 'KeyId');
  const key = keyring.resolve(reference);
  if (!key) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
  if (key.usage !== usage) throw new KmsError('InvalidKeyUsageException', `${key.arn} key usage is ${key.usage} which is not valid for this operation`);
  return key;
}

function encryptionAlgorithm(request: Request, key: LocalKey): 'SYMMETRIC_DEFAULT' {
  const algorithm = request.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT';
  if (algorithm !== 'SYMMETRIC_DEFAULT') throw new KmsError('InvalidKeyUsageException', `${key.arn} does not support ${String(algorithm)}`);
  return algorithm;
}

function macAlgorithm(request: Request, key: LocalKey): 'HMAC_SHA_256' {
  const algorithm = requiredString(request, 'MacAlgorithm');
  if (algorithm !== 'HMAC_SHA_256') throw new KmsError('InvalidKeyUsageException', `${key.arn} (HMAC_256) does not support ${algorithm}`);
  return algorithm;
}

function hmac(key: LocalKey, message: Buffer): Buffer {
  return createHmac('sha256', key.material).update(message).digest();
}

function encrypt(keyring: Keyring, request: Request): Response {
  const key = keyFor(keyring, request, 'ENCRYPT_DECRYPT');
  const algorithm = encryptionAlgorithm(request, key);
  const plaintext = blob(request, 'Plaintext', MAX_INPUT_BYTES);
  return { CiphertextBlob: seal(key, plaintext, encryptionContext(request)).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: algorithm };
}

function decrypt(keyring: Keyring, request: Request): Response {
  const ciphertext = blob(request, 'CiphertextBlob', 6144);
  const context = encryptionContext(request);
  const named = request.KeyId === undefined ? undefined : keyFor(keyring, request, 'ENCRYPT_DECRYPT');
  const keyId = blobKeyId(ciphertext);
  const key = keyId === undefined ? undefined : keyring.byKeyId(keyId);
  if (!key) throw new KmsError('InvalidCiphertextException', 'The ciphertext is not one this key service produced');
  if (named && named.keyId !== key.keyId) {
    throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify the KMS key the ciphertext was encrypted under');
  }
  const algorithm = encryptionAlgorithm(request, key);
  const plaintext = open(key, ciphertext, context);
  // KMS gives no detail here either: a wrong context and a tampered blob look the same.
  if (!plaintext) throw new KmsError('InvalidCiphertextException', 'The ciphertext, its key or its encryption context does not match');
  return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: algorithm };
}

function dataKeyLength(request: Request): number {
  const { KeySpec: spec, NumberOfBytes: bytes } = request;
  if (spec !== undefined && bytes !== undefined) throw new KmsError('ValidationException', 'Specify either KeySpec or NumberOfBytes, not both');
  if (spec === 'AES_256') return 32;
  if (spec === 'AES_128') return 16;
  if (spec !== undefined) throw new KmsError('ValidationException', `KeySpec must be AES_256 or AES_128, got ${String(spec)}`);
  if (typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1 && bytes <= MAX_DATA_KEY_BYTES) return bytes;
  throw new KmsError('ValidationException', `Specify KeySpec or NumberOfBytes (1 to ${MAX_DATA_KEY_BYTES})`);
}

function generateDataKey(keyring: Keyring, request: Request): Response {
  const key = keyFor(keyring, request, 'ENCRYPT_DECRYPT');
  const plaintext = randomBytes(dataKeyLength(request));
  return {
    CiphertextBlob: seal(key, plaintext, encryptionContext(request)).toString('base64'),
    Plaintext: plaintext.toString('base64'),
    KeyId: key.arn,
  };
}

function generateMac(keyring: Keyring, request: Request): Response {
  const key = keyFor(keyring, request, 'GENERATE_VERIFY_MAC');
  const algorithm = macAlgorithm(request, key);
  const mac = hmac(key, blob(request, 'Message', MAX_INPUT_BYTES));
  return { Mac: mac.toString('base64'), MacAlgorithm: algorithm, KeyId: key.arn };
}

function verifyMac(keyring: Keyring, request: Request): Response {
  const key = keyFor(keyring, request, 'GENERATE_VERIFY_MAC');
  const algorithm = macAlgorithm(request, key);
  const expected = hmac(key, blob(request, 'Message', MAX_INPUT_BYTES));
  const given = blob(request, 'Mac', 64);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new KmsError('KMSInvalidMacException', 'The MAC does not verify with the given key, message and algorithm');
  }
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
}

/** ECDSA with SHA-256 over a raw message, the one signing algorithm the receipt key is used with. */
function signingInput(keyring: Keyring, request: Request): { key: LocalKey; message: Buffer } {
  const key = keyFor(keyring, request, 'SIGN_VERIFY');
  const algorithm = requiredString(request, 'SigningAlgorithm');
  if (algorithm !== 'ECDSA_SHA_256') throw new KmsError('InvalidKeyUsageException', `${key.arn} (ECC_NIST_P256) does not support ${algorithm}`);
  const type = request.MessageType ?? 'RAW';
  if (type !== 'RAW') throw new KmsError('ValidationException', 'the local KMS signs RAW messages only');
  return { key, message: blob(request, 'Message', MAX_INPUT_BYTES) };
}

const privateKeyOf = (key: LocalKey) => createPrivateKey({ key: key.material, format: 'der', type: 'pkcs8' });

function signMessage(keyring: Keyring, request: Request): Response {
  const { key, message } = signingInput(keyring, request);
  return { KeyId: key.arn, Signature: sign('sha256', message, privateKeyOf(key)).toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' };
}

function verifySignature(keyring: Keyring, request: Request): Response {
  const { key, message } = signingInput(keyring, request);
  if (!verify('sha256', message, createPublicKey(privateKeyOf(key)), blob(request, 'Signature', 256))) {
    throw new KmsError('KMSInvalidSignatureException', 'The signature does not verify with the given key, message and algorithm');
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' };
}

function getPublicKey(keyring: Keyring, request: Request): Response {
  const key = keyFor(keyring, request, 'SIGN_VERIFY');
  const spki = createPublicKey(privateKeyOf(key)).export({ type: 'spki', format: 'der' });
  return { KeyId: key.arn, PublicKey: spki.toString('base64'), KeySpec: key.spec, KeyUsage: key.usage, SigningAlgorithms: ['ECDSA_SHA_256'] };
}

function describeKey(keyring: Keyring, request: Request): Response {
  const reference = requiredString(request, 'KeyId');
  const key = keyring.resolve(reference);
  if (!key) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
  const symmetric = key.usage === 'ENCRYPT_DECRYPT';
  return {
    KeyMetadata: {
      AWSAccountId: key.arn.split(':')[4],
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.createdAt.getTime() / 1000,
      Enabled: true,
      Description: `anshin-relay local ${symmetric ? 'data' : key.usage === 'SIGN_VERIFY' ? 'receipt signing' : 'HMAC'} key`,
      KeyUsage: key.usage,
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.spec,
      KeySpec: key.spec,
      MultiRegion: false,
      ...(symmetric ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } : key.usage === 'SIGN_VERIFY' ? { SigningAlgorithms: ['ECDSA_SHA_256'] } : { MacAlgorithms: ['HMAC_SHA_256'] }),
    },
  };
}

export const OPERATIONS: Readonly<Record<string, (keyring: Keyring, request: Request) => Response>> = {
  Encrypt: encrypt,
  Decrypt: decrypt,
  GenerateDataKey: generateDataKey,
  GenerateMac: generateMac,
  VerifyMac: verifyMac,
  DescribeKey: describeKey,
  Sign: signMessage,
  Verify: verifySignature,
  GetPublicKey: getPublicKey,
};
