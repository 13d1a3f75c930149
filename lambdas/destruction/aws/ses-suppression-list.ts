import { DeleteSuppressedDestinationCommand, GetSuppressedDestinationCommand } from '@aws-sdk/client-sesv2';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SubjectSuppressions } from '../ports';

const isNotFound = (error: unknown): boolean => error instanceof Error && error.name === 'NotFoundException';

/** SES v2's account-level suppression list, one address at a time. */
export class SesSuppressionList implements SubjectSuppressions {
  constructor(private readonly ses: SESv2Client) {}

  async isSuppressed(address: string): Promise<boolean> {
    try {
      await this.ses.send(new GetSuppressedDestinationCommand({ EmailAddress: address }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async remove(address: string): Promise<boolean> {
    try {
      await this.ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: address }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
