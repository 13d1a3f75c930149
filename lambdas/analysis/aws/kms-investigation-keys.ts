import { GenerateMacCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { InvestigationKeys } from '../ports';

/**
 * An investigation's pseudonym key is the MAC of its ID under the pseudonym key (HMAC_256 in KMS):
 * the same ID always gives the same key, the key is never stored, and every derivation is a KMS
 * call CloudTrail records with its caller.
 */
export class KmsInvestigationKeys implements InvestigationKeys {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async keyFor(investigationId: string): Promise<Uint8Array> {
    const { Mac } = await this.kms.send(
      new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(`anshin-analysis-investigation:${investigationId}`, 'utf8') }),
    );
    if (!Mac) throw new Error('KMS GenerateMac returned no MAC');
    return Mac;
  }
}
