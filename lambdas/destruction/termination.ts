import { requireRequester, requireStoreId } from './request';
import type { SubjectPorts } from './ports';
import { ClassTally, countWhere, inboundMessageIds, recordsOfAliases } from './steps';
import { receiptFrame, receiptSubjectMacInput } from '../records/receipts';
import type { Receipt } from '../records/receipts';
import { epochSecondsAfter } from '../records/retention-policy';
import type { DataClass, RetentionPolicy } from '../records/retention-policy';

/**
 * Terminating a store. It stops relaying and gets no new aliases at once, but its data is kept for
 * the support period so inquiries about past conversations can still be answered: every item about
 * it is re-dated to be gone by then at the latest (never later than it was due anyway). When the
 * store item itself comes due, the retention run asks for the store's destruction, which erases
 * whatever is left.
 */

export interface TerminationOptions {
  readonly policy: RetentionPolicy;
  readonly clock: () => Date;
}

export class UnknownStoreError extends Error {
  override readonly name = 'UnknownStoreError';
}

const TERMINATION_CLASSES: readonly DataClass[] = ['address', 'transmission', 'access', 'content'];

/**
 * Marks the store terminated, brings every erasure date of its data forward to the end of its
 * class's support period, erases its raw mail when content has no support period, and writes a
 * termination receipt with how many items were re-dated (or erased, for raw mail) and when the
 * store is erased. Repeating it changes nothing further: the first termination's dates stand.
 */
export async function terminateStore(storeId: string, requestedBy: string, ports: SubjectPorts, options: TerminationOptions): Promise<Receipt> {
  requireStoreId(storeId);
  requireRequester(requestedBy);
  const startedAt = options.clock();
  const subjectHash = await ports.keys.mac(receiptSubjectMacInput('store', storeId));
  if (!(await ports.stores.markTerminated(storeId, startedAt))) throw new UnknownStoreError(`store ${storeId} does not exist`);

  const { classes } = options.policy;
  const until = (dataClass: DataClass): number => epochSecondsAfter(startedAt, classes[dataClass].supportDays);
  const tally = new ClassTally(TERMINATION_CLASSES);

  const storeItems = await ports.stores.itemsOfStore(storeId);
  tally.add('address', await countWhere(storeItems, (key) => ports.stores.bringForward(key, until('address'))));
  const aliases = await ports.aliases.namesOfStore(storeId);
  // Expired now, the aliases stop relaying even where a cached or stale store item says otherwise.
  tally.add('address', await countWhere(aliases, (alias) => ports.aliases.bringForward(alias, { expiresAt: startedAt, purgeAt: until('address') })));
  const records = await recordsOfAliases(aliases, ports);
  tally.add('transmission', await countWhere(records, (record) => ports.transmissions.bringForward(record.transmissionId, until('transmission'))));
  const accessIds = await ports.access.idsOfStore(storeId);
  tally.add('access', await countWhere(accessIds, (accessId) => ports.access.bringForward(storeId, accessId, until('access'))));
  // Raw mail cannot be re-dated (S3 expires it by age): with no support period it goes now;
  // otherwise its own short retention or the store's final destruction removes it.
  const messageIds = inboundMessageIds(records);
  if (classes.content.supportDays === 0 && messageIds.length > 0) tally.add('content', await ports.rawMail.eraseMessages(messageIds));

  const eraseAt = await ports.stores.purgeAtOf(storeId);
  const finishedAt = options.clock();
  const receipt: Receipt = {
    ...receiptFrame('termination', { policy: options.policy, requestedBy, startedAt, finishedAt }),
    counts: tally.toCounts(),
    complete: true,
    subject: { kind: 'store', hash: subjectHash },
    eraseAt: new Date((eraseAt ?? until('address')) * 1000).toISOString(),
  };
  await ports.receipts.record(receipt);
  return receipt;
}
