import { DeleteSuppressedDestinationCommand, GetSuppressedDestinationCommand } from '@aws-sdk/client-sesv2';
import type { SESv2Client } from '@aws-sdk/client-sesv2';

/**
 * SES v2's account-level suppression list, one address at a time, as destruction and the retention
 * run use it: SES answers NotFoundException for an address that is not on it.
 */

async function onList(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundException') return false;
    throw error;
  }
}

export function isSuppressed(ses: SESv2Client, address: string): Promise<boolean> {
  return onList(ses.send(new GetSuppressedDestinationCommand({ EmailAddress: address })));
}

/** True when the address was on the list. */
export function removeSuppressed(ses: SESv2Client, address: string): Promise<boolean> {
  return onList(ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: address })));
}
