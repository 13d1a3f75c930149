import { ListSuppressedDestinationsCommand } from '@aws-sdk/client-sesv2';
import { removeSuppressed } from '../../aws/ses-suppressions';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SuppressionSweep } from '../ports';

/** SES v2's account-level suppression list: entries last updated before the cutoff, deleted page by page. */
export class SesSuppressionSweep implements SuppressionSweep {
  constructor(private readonly ses: SESv2Client) {}

  async sweepOlderThan(cutoff: Date, page: { readonly cursor?: string | undefined; readonly pageSize: number }): Promise<{ removed: number; cursor?: string }> {
    const { SuppressedDestinationSummaries = [], NextToken } = await this.ses.send(
      new ListSuppressedDestinationsCommand({ EndDate: cutoff, PageSize: Math.min(page.pageSize, 1000), ...(page.cursor === undefined ? {} : { NextToken: page.cursor }) }),
    );
    let removed = 0;
    for (const entry of SuppressedDestinationSummaries) {
      // Gone meanwhile (a destruction took it): nothing left to remove.
      if (entry.EmailAddress && (await removeSuppressed(this.ses, entry.EmailAddress))) removed += 1;
    }
    return { removed, ...(NextToken ? { cursor: NextToken } : {}) };
  }
}
