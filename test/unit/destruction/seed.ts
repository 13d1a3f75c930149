import { addressMacInput } from '../../../lambdas/aliases/address';
import { aliasNameFromMac, customerAliasMacInput, reverseAliasMacInput } from '../../../lambdas/aliases/names';
import { STORE_ITEM } from '../../../lambdas/records/table-schema';
import { aliasCounterSubject, counterDaysAt, storeCounterSubject } from '../../../lambdas/relay/rate-limits';
import type { InMemorySubjectWorld } from './in-memory-subject-ports';

export const NOW = new Date('2026-05-01T00:00:00.000Z');
const DAY_SECONDS = 86_400;
const nowSeconds = NOW.getTime() / 1000;

export interface Conversation {
  readonly customerAlias: string;
  readonly reverseAlias: string;
  /** Inbound SES message IDs: the store's mail, the customer's reply. */
  readonly messages: readonly [string, string];
}

/** A store with a registered sender and a conversation with one customer, as the relay leaves them. */
export async function seedConversation(world: InMemorySubjectWorld, storeId: string, orderId: string, customer: string): Promise<Conversation> {
  const mac = (input: string) => world.keys.mac(input);
  const customerHash = await mac(addressMacInput(customer));
  const customerAlias = aliasNameFromMac('customer', await mac(customerAliasMacInput(storeId, orderId)));
  const reverseAlias = aliasNameFromMac('merchant', await mac(reverseAliasMacInput(customerAlias)));
  const expiresAt = new Date(NOW.getTime() + 180 * DAY_SECONDS * 1000).toISOString();
  const purgeAt = nowSeconds + 270 * DAY_SECONDS;
  world.putAlias({ alias: customerAlias, storeId, addressHash: customerHash, expiresAt, purgeAt });
  world.putAlias({ alias: reverseAlias, storeId, addressHash: customerHash, customerAlias, expiresAt, purgeAt });
  const messages = [`${storeId}-${orderId}-out`, `${storeId}-${orderId}-reply`] as const;
  world.putTransmission({ transmissionId: `${messages[0]}/0`, sesMessageId: messages[0], aliasId: customerAlias, purgeAt: nowSeconds + 90 * DAY_SECONDS });
  world.putTransmission({ transmissionId: `${messages[1]}/0`, sesMessageId: messages[1], aliasId: reverseAlias, purgeAt: nowSeconds + 90 * DAY_SECONDS });
  world.putTransmission({ transmissionId: `feedback/${storeId}-${orderId}-sent/Bounce`, sesMessageId: `${storeId}-${orderId}-sent`, aliasId: customerAlias, purgeAt: nowSeconds + 90 * DAY_SECONDS });
  // The relay's rate-limit counters of the day, one per alias that was written to.
  const [today] = counterDaysAt(NOW);
  for (const alias of [customerAlias, reverseAlias]) world.rateCounters.add(`${aliasCounterSubject(alias)}#${today}`);
  world.rawMail.set(messages[0], 1);
  world.rawMail.set(messages[1], 2);
  return { customerAlias, reverseAlias, messages };
}

export async function seedStore(world: InMemorySubjectWorld, storeId: string, contact: string, senders: readonly string[]): Promise<void> {
  const mac = (input: string) => world.keys.mac(input);
  world.putStoreItem({ storeId, item: STORE_ITEM, addressHash: await mac(addressMacInput(contact)) });
  for (const sender of senders) {
    const hash = await mac(addressMacInput(sender));
    world.putStoreItem({ storeId, item: `sender#${hash}`, addressHash: hash });
  }
  world.rateCounters.add(`${storeCounterSubject(storeId)}#${counterDaysAt(NOW)[1]}`);
  world.putAccess({ storeId, accessId: `${NOW.toISOString()}#0001`, purgeAt: nowSeconds + 180 * DAY_SECONDS });
  world.putAccess({ storeId, accessId: `${NOW.toISOString()}#0002`, purgeAt: nowSeconds + 180 * DAY_SECONDS });
}
