import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { isSuppressed, removeSuppressed } from '../../aws/ses-suppressions';
import type { SubjectSuppressions } from '../ports';

/** SES v2's account-level suppression list, one address at a time. */
export class SesSuppressionList implements SubjectSuppressions {
  constructor(private readonly ses: SESv2Client) {}

  isSuppressed(address: string): Promise<boolean> {
    return isSuppressed(this.ses, address);
  }

  remove(address: string): Promise<boolean> {
    return removeSuppressed(this.ses, address);
  }
}
