import { describe, expect, it } from 'vitest';
import { addressMacInput } from '../../../lambdas/aliases/address';
import type { RegisteredSender } from '../../../lambdas/aliases/ports';
import { putStore } from '../../../lambdas/aliases/stores';
import type { Notice } from '../../../lambdas/menu/ports';
import { addSenderFromMenu, confirmSender } from '../../../lambdas/menu/sender-verification';
import { hashSecret } from '../../../lambdas/menu/sessions';
import { createInMemoryPorts } from '../../support/in-memory-ports';

/** A sender the store adds itself: pending until a single-use link mailed to it is opened within a day. */

const NOW = new Date('2025-05-01T00:00:00Z');
const MENU_URL = 'https://menu.example.jp';

interface Token {
  readonly storeId: string;
  readonly tokenHash: string;
  readonly addressHash: string;
  readonly expiresAt: Date;
}

/** The token rules of the DynamoDB adapter: one use, until it expires. */
class Tokens {
  readonly items: Token[] = [];
  async put(token: Token): Promise<void> {
    this.items.push(token);
  }
  async take(storeId: string, tokenHash: string, now: Date): Promise<string | undefined> {
    const index = this.items.findIndex((item) => item.storeId === storeId && item.tokenHash === tokenHash && item.expiresAt.getTime() > now.getTime());
    if (index < 0) return undefined;
    const [taken] = this.items.splice(index, 1);
    return taken?.addressHash;
  }
}

async function setUp() {
  const ports = createInMemoryPorts();
  const base = { stores: ports.stores, keys: ports.keys, now: NOW, random: () => 'r1' };
  await putStore({ storeId: 'shop-1', contact: 'owner@shop.example.jp', senders: ['news@shop.example.jp'] }, base);
  const sent: Notice[] = [];
  const tokens = new Tokens();
  const verifications = {
    async markSenderVerified(storeId: string, addressHash: string): Promise<boolean> {
      const sender = [...ports.stores.senders.values()].find((item) => item.storeId === storeId && item.addressHash === addressHash);
      if (!sender) return false;
      await ports.stores.putSender({ ...sender, status: 'verified', verifiedBy: 'link' });
      return true;
    },
  };
  const deps = { ...base, random: () => 'r2', tokens, mailer: { send: async (notice: Notice) => void sent.push(notice) }, menuUrl: MENU_URL };
  const salesHash = await ports.keys.mac(addressMacInput('sales@shop.example.jp'));
  /** The sender registered for sales@shop.example.jp, the address these tests add. */
  const sales = (): RegisteredSender | undefined => [...ports.stores.senders.values()].find((item) => item.addressHash === salesHash);
  return { deps, sent, tokens, verifications, sales };
}

function tokenOf(notice: Notice | undefined): string {
  const match = /\/verify\?store=shop-1&token=([\w-]{43})\n/.exec(notice?.text ?? '');
  return match?.[1] ?? '';
}

describe('senders added in the merchant menu', () => {
  it('registers the address pending and mails it a link, valid for a day, whose token is kept only as a hash', async () => {
    const { deps, sent, tokens, sales } = await setUp();
    const added = await addSenderFromMenu('shop-1', ' sales@shop.example.jp ', deps);

    expect(added).toMatchObject({ senderId: 'snd_r2', created: true, verified: false, mailed: true });
    expect(sales()?.status).toBe('pending');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe('sales@shop.example.jp');
    const token = tokenOf(sent[0]);
    expect(token).toHaveLength(43);
    expect(tokens.items).toEqual([{ storeId: 'shop-1', tokenHash: hashSecret(token), addressHash: added.addressHash, expiresAt: new Date(NOW.getTime() + 86_400_000) }]);
  });

  it('mails a pending sender added again a new link, and leaves a verified one as it is', async () => {
    const { deps, sent } = await setUp();
    await addSenderFromMenu('shop-1', 'sales@shop.example.jp', deps);
    const again = await addSenderFromMenu('shop-1', 'sales@shop.example.jp', deps);
    expect(again).toMatchObject({ created: false, verified: false, mailed: true });
    expect(tokenOf(sent[1])).not.toBe(tokenOf(sent[0]));
    expect(await addSenderFromMenu('shop-1', 'news@shop.example.jp', deps)).toMatchObject({ created: false, verified: true, mailed: false });
    expect(sent).toHaveLength(2);
  });

  it('verifies the sender when its link is opened in time, once; refuses a malformed, foreign, used or expired token', async () => {
    const { deps, sent, tokens, verifications, sales } = await setUp();
    await addSenderFromMenu('shop-1', 'sales@shop.example.jp', deps);
    const token = tokenOf(sent[0]);
    const confirm = (storeId: string, value: string, now = NOW) => confirmSender(storeId, value, { stores: verifications, tokens, now });

    expect(await confirm('shop-1', `${token}x`)).toBe(false);
    expect(await confirm('shop-1', token.slice(1))).toBe(false);
    expect(await confirm('shop-1', `${token.slice(0, 42)}!`)).toBe(false);
    expect(await confirm('shop-2', token)).toBe(false);
    expect(await confirm('shop-1', token, new Date(NOW.getTime() + 86_400_000))).toBe(false);
    expect(sales()?.status).toBe('pending');

    expect(await confirm('shop-1', token)).toBe(true);
    expect(sales()).toMatchObject({ status: 'verified', verifiedBy: 'link' });
    expect(await confirm('shop-1', token)).toBe(false);
  });

  it('answers false when the sender was removed before its link was opened', async () => {
    const { deps, sent, tokens } = await setUp();
    await addSenderFromMenu('shop-1', 'sales@shop.example.jp', deps);
    const removed = { markSenderVerified: async () => false };
    expect(await confirmSender('shop-1', tokenOf(sent[0]), { stores: removed, tokens, now: NOW })).toBe(false);
  });
});
