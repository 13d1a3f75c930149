import { beforeEach, describe, expect, it } from 'vitest';
import { addressMacInput } from '../../../lambdas/aliases/address';
import { DestructionIncompleteError, destroySubject } from '../../../lambdas/destruction/destruction';
import type { DestructionOptions } from '../../../lambdas/destruction/destruction';
import { DestructionRequestError } from '../../../lambdas/destruction/request';
import type { DestructionStep } from '../../../lambdas/destruction/steps';
import { receiptSubjectMacInput } from '../../../lambdas/records/receipts';
import { policyVersion } from '../../../lambdas/records/retention-policy';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { InMemorySubjectWorld } from './in-memory-subject-ports';
import { NOW, seedConversation, seedStore } from './seed';
import type { Conversation } from './seed';

const TARO = 'Taro@Example.com';
const HANAKO = 'hanako@example.com';
const policy = DEFAULT_CONFIG.retention;
const options: DestructionOptions = { policy, clock: () => NOW };

let world: InMemorySubjectWorld;
let taroAtShopA: Conversation;
let taroAtShopB: Conversation;
let hanakoAtShopA: Conversation;

beforeEach(async () => {
  world = new InMemorySubjectWorld();
  await seedStore(world, 'shop-a', 'owner@shop-a.example', ['news@shop-a.example']);
  // Taro registered himself as a sender of shop-b and is its contact too.
  await seedStore(world, 'shop-b', 'taro@example.com', ['news@shop-b.example', 'taro@example.com']);
  taroAtShopA = await seedConversation(world, 'shop-a', 'A-1', TARO);
  taroAtShopB = await seedConversation(world, 'shop-b', 'B-1', TARO);
  hanakoAtShopA = await seedConversation(world, 'shop-a', 'A-2', HANAKO);
});

async function hashOf(input: string): Promise<string> {
  return world.keys.mac(input);
}

describe('destroying a customer', () => {
  it('erases their aliases both ways, records, raw mail and sender registration, and keeps the names retired', async () => {
    const steps: DestructionStep[] = [];
    const receipt = await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), { ...options, progress: (step) => steps.push(step) });

    for (const conversation of [taroAtShopA, taroAtShopB]) {
      expect(world.aliases.has(conversation.customerAlias)).toBe(false);
      expect(world.aliases.has(conversation.reverseAlias)).toBe(false);
      expect(world.isRetired(conversation.customerAlias)).toBe(true);
      for (const message of conversation.messages) expect(world.rawMail.has(message)).toBe(false);
    }
    const taroHash = await hashOf(addressMacInput(TARO));
    const remaining = world.dump();
    for (const trace of [taroAtShopA.customerAlias, taroAtShopA.reverseAlias, taroAtShopB.customerAlias, taroAtShopB.reverseAlias]) expect(remaining).not.toContain(trace);
    // Only the store whose contact he is still carries his hash; the store is not his to erase.
    expect([...world.stores.values()].filter((item) => item.addressHash === taroHash).map((item) => item.item)).toEqual(['store']);

    expect(receipt).toMatchObject({
      kind: 'destruction',
      requestedBy: 'cli',
      complete: true,
      verified: true,
      policyVersion: policyVersion(policy),
      // 4 aliases and 1 sender registration; 3 records and 2 rate-limit counters per conversation; 1 + 2 versions per conversation.
      counts: { address: 5, transmission: 10, access: 0, content: 6 },
      keptStoreContacts: 1,
      subject: { kind: 'customer', hash: await hashOf(receiptSubjectMacInput('customer', 'taro@example.com')) },
      startedAt: NOW.toISOString(),
      backupsExpireBy: new Date(NOW.getTime() + policy.backupDays * 86_400_000).toISOString(),
      purgeAt: NOW.getTime() / 1000 + policy.classes.evidence.retentionDays * 86_400,
    });
    expect(world.receipts).toEqual([receipt]);
    const receiptText = JSON.stringify(receipt).toLowerCase();
    expect(receiptText).not.toContain('taro');
    expect(receiptText).not.toContain(taroHash);
    expect(steps.map((step) => step.phase)).toEqual(['raw mail', 'transmission records', 'rate-limit counters', 'aliases', 'registered senders']);
    expect(steps.reduce((sum, step) => sum + step.removed, 0)).toBe(21);
  });

  it("leaves another customer's conversation at the same store alone", async () => {
    const before = { aliases: world.aliases.size };
    await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), options);
    expect(world.aliases.has(hanakoAtShopA.customerAlias)).toBe(true);
    expect(world.aliases.has(hanakoAtShopA.reverseAlias)).toBe(true);
    expect(world.aliases.size).toBe(before.aliases - 4);
    for (const message of hanakoAtShopA.messages) expect(world.rawMail.has(message)).toBe(true);
    expect(world.transmissions.size).toBe(3);
    expect(world.access.size).toBe(4);
  });

  it("takes their address off SES's suppression list, and is not verified while it stays there", async () => {
    world.suppressed.add('taro@example.com');
    world.suppressed.add('hanako@example.com');
    const receipt = await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), options);
    expect([...world.suppressed]).toEqual(['hanako@example.com']);
    expect(receipt.verified).toBe(true);

    world.suppressed.add('taro@example.com');
    const stubborn = { ...world.ports(), suppressions: { isSuppressed: async () => true, remove: async () => false } };
    await expect(destroySubject({ kind: 'customer', email: TARO }, 'cli', stubborn, options)).rejects.toThrow(/address/);
  });

  it('finds nothing the second time and says so with zero counts, still verified', async () => {
    await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), options);
    const again = await destroySubject({ kind: 'customer', email: ' taro@EXAMPLE.com ' }, 'event:Customer Deletion Requested', world.ports(), options);
    expect(again.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
    expect(again.verified).toBe(true);
    expect(again.subject).toEqual(world.receipts[0]?.subject);
    expect(world.receipts).toHaveLength(2);
  });

  it('finishes the job after a run that stopped half way', async () => {
    const ports = world.ports();
    let removals = 0;
    const failing = {
      ...ports,
      aliases: {
        ...ports.aliases,
        remove: async (alias: string) => {
          removals += 1;
          if (removals === 2) throw new Error('ProvisionedThroughputExceededException');
          return ports.aliases.remove(alias);
        },
      },
    };
    await expect(destroySubject({ kind: 'customer', email: TARO }, 'cli', failing, options)).rejects.toThrow(/ProvisionedThroughput/);
    expect(world.receipts).toHaveLength(0);

    const receipt = await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), options);
    expect(receipt.verified).toBe(true);
    const remaining = world.dump();
    for (const trace of [taroAtShopA.customerAlias, taroAtShopA.reverseAlias, taroAtShopB.customerAlias, taroAtShopB.reverseAlias]) expect(remaining.replace(JSON.stringify(receipt), '')).not.toContain(trace);
  });

  it('finds the records of a reverse alias whose item an earlier run already removed', async () => {
    world.aliases.delete(taroAtShopA.reverseAlias);
    await destroySubject({ kind: 'customer', email: TARO }, 'cli', world.ports(), options);
    expect(world.transmissions.has(`${taroAtShopA.messages[1]}/0`)).toBe(false);
    expect(world.rawMail.has(taroAtShopA.messages[1])).toBe(false);
  });

  it('erases mail that arrived while it ran, before the aliases went', async () => {
    const ports = world.ports();
    let arrived = false;
    const racing = {
      ...ports,
      aliases: {
        ...ports.aliases,
        keepRetiredName: async (alias: string) => {
          if (!arrived) {
            arrived = true;
            world.putTransmission({ transmissionId: 'late-message/0', sesMessageId: 'late-message', aliasId: taroAtShopA.customerAlias, purgeAt: 1 });
            world.rawMail.set('late-message', 1);
          }
          return ports.aliases.keepRetiredName(alias);
        },
      },
    };
    const steps: DestructionStep[] = [];
    const receipt = await destroySubject({ kind: 'customer', email: TARO }, 'cli', racing, { ...options, progress: (step) => steps.push(step) });
    expect(world.transmissions.has('late-message/0')).toBe(false);
    expect(world.rawMail.has('late-message')).toBe(false);
    expect(receipt.counts).toMatchObject({ transmission: 11, content: 7 });
    expect(steps.map((step) => step.phase)).toContain('late transmission records');
  });

  it('writes no receipt and says what is left when the erasure did not take', async () => {
    const ports = world.ports();
    const stubborn = { ...ports, rawMail: { ...ports.rawMail, eraseMessages: async () => 0 } };
    const failure = destroySubject({ kind: 'customer', email: TARO }, 'cli', stubborn, options);
    await expect(failure).rejects.toBeInstanceOf(DestructionIncompleteError);
    await expect(failure).rejects.toThrow(/content 6/);
    await expect(failure).rejects.not.toThrow(/taro/i);
    expect(world.receipts).toHaveLength(0);
  });

  it('is not verified while an alias name of theirs could be issued again', async () => {
    // Issued before names were retired at issuance, and the retired-name write does not take:
    // everything else is erased, but the names are free to be issued again.
    world.retired.clear();
    const ports = world.ports();
    const forgetful = { ...ports, aliases: { ...ports.aliases, keepRetiredName: async () => undefined } };
    const failure = destroySubject({ kind: 'customer', email: TARO }, 'cli', forgetful, options);
    await expect(failure).rejects.toBeInstanceOf(DestructionIncompleteError);
    await expect(failure).rejects.toThrow(/alias name\(s\) not retired/);
    expect(world.receipts).toHaveLength(0);
  });

  it('refuses a malformed address or requester without quoting it', async () => {
    await expect(destroySubject({ kind: 'customer', email: 'taro at example' }, 'cli', world.ports(), options)).rejects.toThrow(DestructionRequestError);
    await expect(destroySubject({ kind: 'customer', email: 'taro at example' }, 'cli', world.ports(), options)).rejects.not.toThrow(/taro/);
    await expect(destroySubject({ kind: 'customer', email: TARO }, 'taro@example.com', world.ports(), options)).rejects.toThrow(/requestedBy/);
  });
});

describe('DestructionIncompleteError', () => {
  it('names the subject by the start of its hash and what is left of each class, and the alias names not retired', () => {
    const error = new DestructionIncompleteError('0123456789abcdef0123', { address: 2, transmission: 0, access: 1, content: 0, evidence: 0 }, 3);
    expect(error.name).toBe('DestructionIncompleteError');
    expect(error.message).toBe('destruction of subject 0123456789ab left address 2, access 1, 3 alias name(s) not retired; run it again');
    expect(new DestructionIncompleteError('ab', { address: 0, transmission: 4 }, 0).message).toBe('destruction of subject ab left transmission 4; run it again');
    expect(error).toMatchObject({ subjectHash: '0123456789abcdef0123', unretiredAliases: 3, remaining: { address: 2 } });
  });
});

describe('destroying a store', () => {
  it('erases the store, its menu account, senders, aliases, records, access log and raw mail, and retires its customer aliases', async () => {
    world.menuAccounts.add('shop-a');
    world.menuAccounts.add('shop-b');
    const receipt = await destroySubject({ kind: 'store', storeId: 'shop-a' }, 'retention', world.ports(), options);
    expect([...world.menuAccounts]).toEqual(['shop-b']);
    expect([...world.stores.values()].filter((item) => item.storeId === 'shop-a')).toEqual([]);
    expect([...world.access.values()].filter((item) => item.storeId === 'shop-a')).toEqual([]);
    for (const conversation of [taroAtShopA, hanakoAtShopA]) {
      expect(world.aliases.has(conversation.customerAlias)).toBe(false);
      expect(world.aliases.has(conversation.reverseAlias)).toBe(false);
      expect(world.isRetired(conversation.customerAlias)).toBe(true);
      for (const message of conversation.messages) expect(world.rawMail.has(message)).toBe(false);
    }
    expect(world.dump()).not.toContain('shop-a-');
    expect(world.dump()).not.toContain('store#shop-a');
    expect(receipt).toMatchObject({
      kind: 'destruction',
      requestedBy: 'retention',
      verified: true,
      // Records 6, and the rate-limit counters: the store's and its four aliases'.
      counts: { address: 6, transmission: 11, access: 3, content: 6 },
      subject: { kind: 'store', hash: await hashOf(receiptSubjectMacInput('store', 'shop-a')) },
    });
    expect(JSON.stringify(receipt)).not.toContain('shop-a');
  });

  it('reports each step of a store’s erasure as it goes, with what it removed', async () => {
    world.menuAccounts.add('shop-a');
    const steps: DestructionStep[] = [];
    await destroySubject({ kind: 'store', storeId: 'shop-a' }, 'cli', world.ports(), { ...options, progress: (step) => steps.push(step) });
    expect(steps).toEqual([
      { dataClass: 'access', removed: 1, phase: 'menu account' },
      { dataClass: 'address', removed: 1, phase: 'store' },
      { dataClass: 'content', removed: 6, phase: 'raw mail' },
      { dataClass: 'transmission', removed: 6, phase: 'transmission records' },
      { dataClass: 'transmission', removed: 5, phase: 'rate-limit counters' },
      { dataClass: 'address', removed: 4, phase: 'aliases' },
      { dataClass: 'address', removed: 1, phase: 'registered senders' },
      { dataClass: 'access', removed: 2, phase: 'access records' },
    ]);
  });

  it('leaves the other store and its conversations alone', async () => {
    await destroySubject({ kind: 'store', storeId: 'shop-a' }, 'cli', world.ports(), options);
    expect([...world.stores.values()].filter((item) => item.storeId === 'shop-b')).toHaveLength(3);
    expect(world.aliases.has(taroAtShopB.customerAlias)).toBe(true);
    expect(world.rawMail.has(taroAtShopB.messages[0])).toBe(true);
    expect([...world.access.values()].filter((item) => item.storeId === 'shop-b')).toHaveLength(2);
  });

  it('does not call itself verified while the menu account is still there', async () => {
    world.menuAccounts.add('shop-a');
    const stubborn = { ...world.ports(), menuAccounts: { exists: async () => true, remove: async () => false } };
    await expect(destroySubject({ kind: 'store', storeId: 'shop-a' }, 'cli', stubborn, options)).rejects.toThrow(/access/);
  });

  it('reports nothing left to do the second time, and for a store that never existed', async () => {
    await destroySubject({ kind: 'store', storeId: 'shop-a' }, 'cli', world.ports(), options);
    for (const storeId of ['shop-a', 'no-such-shop']) {
      const receipt = await destroySubject({ kind: 'store', storeId }, 'cli', world.ports(), options);
      expect(receipt.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
      expect(receipt.verified).toBe(true);
    }
  });
});
