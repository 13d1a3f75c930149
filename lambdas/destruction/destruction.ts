import { addressMacInput } from '../aliases/address';
import { aliasNameFromMac, parseAliasName, reverseAliasMacInput } from '../aliases/names';
import { requireRequester, subjectKey, validateSubject } from './request';
import type { DestructionSubject } from './request';
import { isStoreItem } from './ports';
import type { StoreItemKey, SubjectPorts } from './ports';
import { ClassTally, countWhere, inboundMessageIds, recordsOfAliases } from './steps';
import type { DestructionProgress } from './steps';
import { backupsExpireBy, receiptFrame, receiptSubjectMacInput } from '../records/receipts';
import type { ClassCounts, Receipt } from '../records/receipts';
import type { DataClass, RetentionPolicy } from '../records/retention-policy';
import { aliasCounterSubject, counterDaysAt, storeCounterSubject } from '../relay/rate-limits';

/**
 * Erasing everything about one store or one customer at once: aliases both ways, registered
 * senders, transmission, feedback and access records, raw mail with every version; then a search
 * that must find nothing left before a receipt is written.
 *
 * The order is what makes a stopped run resumable: records and raw mail are found through the
 * alias names, and the customer's aliases only through their address hash, so the aliases go after
 * everything found through them. A run that stops half way leaves the aliases in place, and the
 * next run finds the rest through them again.
 */

export interface DestructionOptions {
  readonly policy: RetentionPolicy;
  readonly clock: () => Date;
  readonly progress?: DestructionProgress;
}

/** A destruction receipt; `keptStoreContacts` is set when a store's contact is the erased customer's address. */
export type DestructionReceipt = Receipt;

/** Something about the subject was still there after the erasure; running it again goes on from there. */
export class DestructionIncompleteError extends Error {
  override readonly name = 'DestructionIncompleteError';

  constructor(
    readonly subjectHash: string,
    readonly remaining: ClassCounts,
    readonly unretiredAliases: number,
  ) {
    const left = Object.entries(remaining)
      .filter(([, n]) => n !== undefined && n > 0)
      .map(([dataClass, n]) => `${dataClass} ${n}`);
    if (unretiredAliases > 0) left.push(`${unretiredAliases} alias name(s) not retired`);
    super(`destruction of subject ${subjectHash.slice(0, 12)} left ${left.join(', ')}; run it again`);
  }
}

const DESTRUCTION_CLASSES: readonly DataClass[] = ['address', 'transmission', 'access', 'content'];

/** What was found about the subject: the names its records hang off, and what else goes with it. */
interface Findings {
  readonly aliases: ReadonlySet<string>;
  /** Customer aliases among them, whose names must never be issued again. */
  readonly customerAliases: ReadonlySet<string>;
  /** Stores-table items to remove: a store's whole partition, or a customer's sender registrations. */
  readonly storeItems: readonly StoreItemKey[];
  readonly accessIds: readonly string[];
  /** The store's menu account (store subjects only). */
  readonly menuAccount: boolean;
  /** The customer's address is on SES's suppression list (customer subjects only). */
  readonly suppressed: boolean;
  readonly keptStoreContacts: number;
}

/** How a subject is looked up: a store by its ID, a customer by the keyed hash of their address. */
type Lookup = { readonly kind: 'store'; readonly storeId: string } | { readonly kind: 'customer'; readonly addressHash: string; readonly email: string };

async function findCustomer(addressHash: string, email: string, ports: SubjectPorts): Promise<Findings> {
  const aliases = new Set<string>();
  const customerAliases = new Set<string>();
  for (const found of await ports.aliases.withAddressHash(addressHash)) {
    aliases.add(found.alias);
    if (found.kind === 'customer') customerAliases.add(found.alias);
    if (found.customerAlias !== undefined) customerAliases.add(found.customerAlias);
  }
  // A reverse alias's name follows from its customer alias, so its records are found even when a
  // stopped run already removed its item.
  for (const customerAlias of customerAliases) {
    aliases.add(customerAlias);
    aliases.add(aliasNameFromMac('merchant', await ports.keys.mac(reverseAliasMacInput(customerAlias))));
  }
  const storeItems = await ports.stores.withAddressHash(addressHash);
  return {
    aliases,
    customerAliases,
    storeItems: storeItems.filter((key) => !isStoreItem(key)),
    accessIds: [],
    menuAccount: false,
    suppressed: await ports.suppressions.isSuppressed(email),
    keptStoreContacts: storeItems.filter(isStoreItem).length,
  };
}

async function findStore(storeId: string, ports: SubjectPorts): Promise<Findings> {
  const aliases = new Set(await ports.aliases.namesOfStore(storeId));
  return {
    aliases,
    customerAliases: new Set([...aliases].filter((alias) => parseAliasName(alias)?.kind === 'customer')),
    storeItems: await ports.stores.itemsOfStore(storeId),
    accessIds: await ports.access.idsOfStore(storeId),
    menuAccount: await ports.menuAccounts.exists(storeId),
    suppressed: false,
    keptStoreContacts: 0,
  };
}

function find(lookup: Lookup, ports: SubjectPorts): Promise<Findings> {
  return lookup.kind === 'store' ? findStore(lookup.storeId, ports) : findCustomer(lookup.addressHash, lookup.email, ports);
}

interface Erasure {
  /** Inbound mail seen in any record, so the verification can count what is left of it. */
  readonly messageIds: Set<string>;
  readonly now: Date;
  readonly report: (dataClass: DataClass, removed: number, phase: string) => void;
}

/** The rate-limit counters that name the subject: a store's own, and those of every alias found. */
function counterSubjects(subject: { readonly kind: 'store'; readonly storeId: string } | { readonly kind: 'customer' }, aliases: Iterable<string>): string[] {
  return [...(subject.kind === 'store' ? [storeCounterSubject(subject.storeId)] : []), ...[...aliases].map(aliasCounterSubject)];
}

/** Raw mail first, then the records that named it: a stop in between leaves the records to find it by. */
async function eraseRecords(aliases: Iterable<string>, ports: SubjectPorts, erasure: Erasure, phase: string, quietWhenNone: boolean): Promise<void> {
  const records = await recordsOfAliases(aliases, ports);
  const messageIds = inboundMessageIds(records);
  for (const id of messageIds) erasure.messageIds.add(id);
  const versions = messageIds.length === 0 ? 0 : await ports.rawMail.eraseMessages(messageIds);
  const removed = await countWhere(records, (record) => ports.transmissions.remove(record.transmissionId));
  if (!quietWhenNone || versions > 0) erasure.report('content', versions, `${phase}raw mail`);
  if (!quietWhenNone || removed > 0) erasure.report('transmission', removed, `${phase}transmission records`);
}

async function erase(subject: DestructionSubject, findings: Findings, ports: SubjectPorts, erasure: Erasure): Promise<void> {
  if (subject.kind === 'store') {
    // Its menu account first, so nobody signs in while the rest goes; then the store: without it no
    // alias is issued for it and nothing is relayed for it.
    if (findings.menuAccount) erasure.report('access', (await ports.menuAccounts.remove(subject.storeId)) ? 1 : 0, 'menu account');
    erasure.report('address', await countWhere(findings.storeItems.filter(isStoreItem), (key) => ports.stores.remove(key)), 'store');
  }
  await eraseRecords(findings.aliases, ports, erasure, '', false);
  // Found through the alias names too, so removed before them.
  erasure.report('transmission', await ports.transmissions.removeCounters(counterSubjects(subject, findings.aliases), counterDaysAt(erasure.now)), 'rate-limit counters');
  // Retired before removed: a customer alias is never gone without its name being kept from reuse.
  await countWhere(findings.customerAliases, async (alias) => {
    await ports.aliases.keepRetiredName(alias);
    return true;
  });
  erasure.report('address', await countWhere(findings.aliases, (alias) => ports.aliases.remove(alias)), 'aliases');
  const senders = findings.storeItems.filter((key) => !isStoreItem(key));
  erasure.report('address', await countWhere(senders, (key) => ports.stores.remove(key)), 'registered senders');
  if (subject.kind === 'store') {
    erasure.report('access', await countWhere(findings.accessIds, (accessId) => ports.access.remove(subject.storeId, accessId)), 'access records');
  }
  // SES keeps a bounced or complaining address on its suppression list until it is deleted.
  if (subject.kind === 'customer' && findings.suppressed) erasure.report('address', (await ports.suppressions.remove(subjectKey(subject))) ? 1 : 0, 'suppression list entry');
  // Mail that arrived while the aliases were still there left records the first pass did not see.
  await eraseRecords(findings.aliases, ports, erasure, 'late ', true);
}

/** Searches again, with consistent reads where an index could still show what is gone. */
async function remaining(lookup: Lookup, findings: Findings, ports: SubjectPorts, erasure: Erasure): Promise<{ counts: ClassCounts; unretired: number }> {
  const again = await find(lookup, ports);
  const aliases = [...new Set([...findings.aliases, ...again.aliases])];
  const records = await recordsOfAliases(aliases, ports);
  const messageIds = [...new Set([...erasure.messageIds, ...inboundMessageIds(records)])];
  const storeItems = await ports.stores.stored(again.storeItems);
  // Analysis exports name no store or alias, only pseudonyms: nothing in them leads to the subject.
  const counts: Record<Exclude<DataClass, 'analysis'>, number> = {
    address: (await ports.aliases.stored(aliases)).length + storeItems.length + (again.suppressed ? 1 : 0),
    transmission:
      (await ports.transmissions.stored(records.map((record) => record.transmissionId))).length +
      (await ports.transmissions.storedCounters(counterSubjects(lookup, aliases), counterDaysAt(erasure.now))),
    access: again.accessIds.length + (again.menuAccount ? 1 : 0),
    content: messageIds.length === 0 ? 0 : await ports.rawMail.countMessageVersions(messageIds),
    evidence: 0,
  };
  const customerAliases = [...new Set([...findings.customerAliases, ...again.customerAliases])];
  return { counts, unretired: (await ports.aliases.unretired(customerAliases)).length };
}

/**
 * Erases everything about the subject, verifies that nothing is left and writes the receipt. A
 * subject with nothing left about it gets a receipt with every count 0. Throws
 * {@link DestructionIncompleteError}, and writes no receipt, when something is still there.
 */
export async function destroySubject(given: DestructionSubject, requestedBy: string, ports: SubjectPorts, options: DestructionOptions): Promise<DestructionReceipt> {
  const subject = validateSubject(given);
  requireRequester(requestedBy);
  const startedAt = options.clock();
  const subjectHash = await ports.keys.mac(receiptSubjectMacInput(subject.kind, subjectKey(subject)));
  const lookup: Lookup = subject.kind === 'store' ? subject : { kind: 'customer', addressHash: await ports.keys.mac(addressMacInput(subject.email)), email: subjectKey(subject) };
  const findings = await find(lookup, ports);

  const tally = new ClassTally(DESTRUCTION_CLASSES);
  const erasure: Erasure = {
    messageIds: new Set(),
    now: startedAt,
    report: (dataClass, removed, phase) => {
      tally.add(dataClass, removed);
      options.progress?.({ dataClass, removed, phase });
    },
  };
  await erase(subject, findings, ports, erasure);

  const left = await remaining(lookup, findings, ports, erasure);
  if (Object.values(left.counts).some((n) => n > 0) || left.unretired > 0) throw new DestructionIncompleteError(subjectHash, left.counts, left.unretired);

  const finishedAt = options.clock();
  const receipt: DestructionReceipt = {
    ...receiptFrame('destruction', { policy: options.policy, requestedBy, startedAt, finishedAt }),
    counts: tally.toCounts(),
    complete: true,
    subject: { kind: subject.kind, hash: subjectHash },
    verified: true,
    backupsExpireBy: backupsExpireBy(options.policy, finishedAt),
    ...(findings.keptStoreContacts > 0 ? { keptStoreContacts: findings.keptStoreContacts } : {}),
  };
  await ports.receipts.record(receipt);
  return receipt;
}
