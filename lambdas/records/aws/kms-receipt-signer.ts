import { SignCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { ReceiptSigner } from '../ports';

/** ECDSA_SHA_256 over the raw message: KMS hashes it; the message is a short fixed-size statement. */
export class KmsReceiptSigner implements ReceiptSigner {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async sign(message: string): Promise<{ signature: string; keyId: string }> {
    const { Signature, KeyId } = await this.kms.send(
      new SignCommand({ KeyId: this.keyId, Message: Buffer.from(message, 'utf8'), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    if (!Signature) throw new Error('KMS answered Sign without a signature');
    return { signature: Buffer.from(Signature).toString('base64'), keyId: KeyId ?? this.keyId };
  }
}
