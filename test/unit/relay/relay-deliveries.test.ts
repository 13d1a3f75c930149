import { describe, expect, it } from 'vitest';
import { addressMacInput } from '../../../lambdas/aliases/address';
import { storeSenderContext } from '../../../lambdas/aliases/encryption-contexts';
import { MaybeSentError } from '../../../lambdas/relay/failures';
import type { OutboundMessage } from '../../../lambdas/relay/ports';
import { IncompleteDeliveryError, relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { DeliveryResult, RelayAttempt, RelayOptions } from '../../../lambdas/relay/relay-inbound-mail';
import type { Verdicts } from '../../../lambdas/relay/verdicts';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import type { InMemoryPorts } from '../../support/in-memory-ports';

/**
 * The relay's delivery rules that need no server: who counts as authenticated, who gets a DSN,
 * and how each recipient's delivery is settled on its own (claimed, sent at most once per lease,
 * dead-lettered alone, skipped on redelivery, taken again on replay).
 */

const RELAY = 'relay.example.jp';
const NOW = new Date('2026-12-01T03:04:05Z');
const SENDER = 'news@shop.example';
const OTHER_SENDER = 'support@shop-help.example';
const CONTACT = 'owner@shop-office.example';
const CUSTOMER = 'taro@example.com';
const SECOND_CUSTOMER = 'hanako@example.net';
const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
/** What SES reports for a stranger who DKIM-signs with their own domain and has no DMARC alignment. */
const DKIM_ONLY: Verdicts = { ...PASS, spf: 'GRAY', dmarc: 'FAIL', dmarcPolicy: 'none' };
const LEASE_SECONDS = 120;

interface Setup {
  readonly ports: InMemoryPorts;
  readonly alias: string;
  readonly secondAlias: string;
  readonly reverse: string;
  now: Date;
}

async function setUp(): Promise<Setup> {
  const ports = createInMemoryPorts();
  const store = { storeId: 'demo-shop', displayName: 'デモ商店', contact: CONTACT, senders: [SENDER, OTHER_SENDER], relayDomain: RELAY, now: NOW };
  const alias = await seedStoreAndCustomerAlias(ports, { ...store, orderId: '1001', customer: CUSTOMER });
  const secondAlias = await seedStoreAndCustomerAlias(ports, { ...store, orderId: '1002', customer: SECOND_CUSTOMER });
  const reverse = await seedReverseAlias(ports, alias, RELAY);
  return { ports, alias, secondAlias, reverse, now: NOW };
}

interface Mail {
  readonly from: string;
  readonly envelope?: string;
  readonly to: readonly string[];
  readonly verdicts?: Verdicts;
  readonly subject?: string;
  readonly id?: string;
}

function options(setup: Setup, change: Partial<RelayOptions> = {}): RelayOptions {
  return { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => setup.now, leaseSeconds: LEASE_SECONDS, ...change };
}

function inbound(setup: Setup, mail: Mail) {
  const id = mail.id ?? `msg-${Math.random().toString(36).slice(2)}`;
  const location = { bucket: 'inbound', key: `inbound/${id}` };
  const raw = `From: ${mail.from}\r\nTo: ${mail.to.join(', ')}\r\nSubject: ${mail.subject ?? 'hello'}\r\nMessage-ID: <${id}@shop.example>\r\n\r\nbody\r\n`;
  setup.ports.rawMail.put(location, Buffer.from(raw, 'utf8'));
  return { sesMessageId: id, receivedAt: NOW, envelopeSender: mail.envelope ?? mail.from, recipients: mail.to, verdicts: mail.verdicts ?? PASS, location };
}

async function relay(setup: Setup, mail: Mail, attempt: RelayAttempt = {}, change: Partial<RelayOptions> = {}): Promise<DeliveryResult[]> {
  return relayInboundMail(inbound(setup, mail), setup.ports, options(setup, change), attempt);
}

async function relayExpectingRetry(setup: Setup, mail: ReturnType<typeof inbound>, attempt: RelayAttempt = {}): Promise<IncompleteDeliveryError> {
  const error: unknown = await relayInboundMail(mail, setup.ports, options(setup), attempt).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(IncompleteDeliveryError);
  return error as IncompleteDeliveryError;
}

const dsnsTo = (sent: readonly OutboundMessage[], address: string) => sent.filter((m) => m.from === `MAILER-DAEMON@${RELAY}` && m.to.includes(address));
const statusOf = (raw: Uint8Array) => /^Status: (\S+)$/m.exec(Buffer.from(raw).toString('latin1'))?.[1];

describe('relayInboundMail: authentication aligned with From', () => {
  it("refuses a stranger's DKIM signature for their own domain on a store's registered sender", async () => {
    const setup = await setUp();
    setup.ports.dkim.passingDomains = ['attacker.example'];

    const [result] = await relay(setup, { from: SENDER, envelope: 'x@attacker.example', to: [setup.alias], verdicts: DKIM_ONLY });

    expect(result).toMatchObject({ status: 'refused', reason: 'unauthenticated_sender' });
    expect(setup.ports.mailer.sent).toHaveLength(0);
    expect(setup.ports.dkim.calls).toBe(1);
  });

  it("refuses the same trick towards the store, writing as the conversation's customer", async () => {
    const setup = await setUp();
    setup.ports.dkim.passingDomains = ['attacker.example'];

    const [result] = await relay(setup, { from: CUSTOMER, envelope: 'x@attacker.example', to: [setup.reverse], verdicts: DKIM_ONLY });

    expect(result).toMatchObject({ status: 'refused', reason: 'unauthenticated_sender' });
    expect(setup.ports.mailer.sent).toHaveLength(0);
  });

  it('relays when a verified signature aligns with From, though DMARC did not pass', async () => {
    const setup = await setUp();
    setup.ports.dkim.passingDomains = ['attacker.example', 'mail.shop.example'];

    const [result] = await relay(setup, { from: SENDER, envelope: 'x@esp.example', to: [setup.alias], verdicts: DKIM_ONLY });

    expect(result).toMatchObject({ status: 'relayed' });
  });

  it('verifies DKIM only when DMARC did not already pass, once per message', async () => {
    const setup = await setUp();
    await relay(setup, { from: SENDER, to: [setup.alias, setup.secondAlias] });
    expect(setup.ports.dkim.calls).toBe(0);

    setup.ports.dkim.passingDomains = ['shop.example'];
    await relay(setup, { from: SENDER, envelope: 'x@esp.example', to: [setup.alias, setup.secondAlias], verdicts: DKIM_ONLY });
    expect(setup.ports.dkim.calls).toBe(1);
  });

  it('leaves the message for a retry when a DKIM key could not be fetched for the moment', async () => {
    const setup = await setUp();
    setup.ports.dkim.temporaryFailure = true;
    const mail = inbound(setup, { from: SENDER, envelope: 'x@esp.example', to: [setup.alias], verdicts: DKIM_ONLY });

    const error = await relayExpectingRetry(setup, mail);

    expect(error.pending).toEqual([expect.objectContaining({ reason: 'delivery_in_progress' })]);
    setup.ports.dkim.temporaryFailure = false;
    setup.ports.dkim.passingDomains = ['shop.example'];
    expect(await relayInboundMail(mail, setup.ports, options(setup))).toEqual([expect.objectContaining({ status: 'relayed' })]);
  });
});

describe('relayInboundMail: no backscatter', () => {
  const ATTACKER = 'me@attacker.example';
  const VICTIM = 'victim@victim.example';
  const unknownAliases = Array.from({ length: 5 }, (_, i) => `c-00000000000${i}@${RELAY}`);

  it("sends no DSN to a victim's envelope address, though the stranger's own From is authenticated", async () => {
    const setup = await setUp();
    const results = await relay(setup, { from: ATTACKER, envelope: VICTIM, to: unknownAliases, verdicts: { ...PASS, spf: 'FAIL' } });

    expect(results).toHaveLength(5);
    for (const result of results) expect(result).toMatchObject({ status: 'refused', reason: 'unknown_alias' });
    expect(results.some((result) => 'bounced' in result)).toBe(false);
    expect(setup.ports.mailer.sent).toHaveLength(0);
  });

  it('sends a DSN when SPF passed for the envelope domain', async () => {
    const setup = await setUp();
    await relay(setup, { from: ATTACKER, envelope: 'bounces@esp.example', to: [unknownAliases[0]!], verdicts: PASS });
    expect(dsnsTo(setup.ports.mailer.sent, 'bounces@esp.example')).toHaveLength(1);
  });

  it('sends a DSN when the envelope aligns with an authenticated From, though SPF did not pass', async () => {
    const setup = await setUp();
    await relay(setup, { from: SENDER, envelope: 'bounce@mail.shop.example', to: [unknownAliases[0]!], verdicts: { ...PASS, spf: 'FAIL' } });
    expect(dsnsTo(setup.ports.mailer.sent, 'bounce@mail.shop.example')).toHaveLength(1);
  });

  it('sends one envelope sender at most the hourly number of DSNs, and more in the next hour', async () => {
    const setup = await setUp();
    const limited = { bouncesPerSenderPerHour: 2 };
    const results = await relay(setup, { from: SENDER, to: unknownAliases }, {}, limited);

    expect(results.filter((result) => 'bounced' in result)).toHaveLength(2);
    expect(dsnsTo(setup.ports.mailer.sent, SENDER)).toHaveLength(2);
    expect(results.every((result) => result.status === 'refused' && result.reason === 'unknown_alias')).toBe(true);

    setup.now = new Date(NOW.getTime() + 3_600_000);
    await relay(setup, { from: SENDER, to: [unknownAliases[0]!] }, {}, limited);
    expect(dsnsTo(setup.ports.mailer.sent, SENDER)).toHaveLength(3);
  });

  it('writes the record before the DSN, so a failed write never leads to a second DSN', async () => {
    const setup = await setUp();
    const complete = setup.ports.transmissions.complete.bind(setup.ports.transmissions);
    let failures = 1;
    setup.ports.transmissions.complete = async (record) => {
      if (failures-- > 0) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return complete(record);
    };
    const mail = inbound(setup, { from: SENDER, to: [unknownAliases[0]!] });

    await relayExpectingRetry(setup, mail);
    expect(dsnsTo(setup.ports.mailer.sent, SENDER)).toHaveLength(0);

    await relayInboundMail(mail, setup.ports, options(setup));
    await relayInboundMail(mail, setup.ports, options(setup));
    expect(dsnsTo(setup.ports.mailer.sent, SENDER)).toHaveLength(1);
  });

  it('does not try a DSN again when SES did not take it', async () => {
    const setup = await setUp();
    setup.ports.mailer.send = async () => {
      throw Object.assign(new Error('rejected'), { name: 'MessageRejected' });
    };
    const mail = inbound(setup, { from: SENDER, to: [unknownAliases[0]!] });

    const [result] = await relayInboundMail(mail, setup.ports, options(setup));
    const [again] = await relayInboundMail(mail, setup.ports, options(setup));

    expect(result).toMatchObject({ status: 'refused', bounced: true, bounceFailed: 'MessageRejected' });
    expect(again).toMatchObject({ status: 'duplicate' });
  });
});

describe('relayInboundMail: each recipient on its own', () => {
  /** SES refuses one destination for good, as it does an address it cannot send to. */
  function refuseDestination(setup: Setup, refused: string): OutboundMessage[] {
    const accepted: OutboundMessage[] = [];
    setup.ports.mailer.send = async (message) => {
      if (message.to.includes(refused)) throw Object.assign(new Error('Illegal address'), { name: 'MessageRejected' });
      accepted.push(message);
      return { messageId: `ses-${accepted.length}` };
    };
    return accepted;
  }

  it('dead-letters the recipient SES refuses and relays the other one', async () => {
    const setup = await setUp();
    const accepted = refuseDestination(setup, CUSTOMER);
    const letters: unknown[] = [];
    const mail = inbound(setup, { from: SENDER, to: [setup.alias, setup.secondAlias] });

    const results = await relayInboundMail(mail, setup.ports, options(setup), { deadLetter: async (letter) => void letters.push(letter) });

    expect(results).toEqual([
      expect.objectContaining({ status: 'relayed', transmissionId: `${mail.sesMessageId}/1` }),
      expect.objectContaining({ status: 'dead_lettered', transmissionId: `${mail.sesMessageId}/0`, reason: 'message_rejected' }),
    ]);
    expect(accepted.map((message) => message.to)).toEqual([[SECOND_CUSTOMER]]);
    expect(letters).toEqual([{ deliveries: [`${mail.sesMessageId}/0`], reason: 'message_rejected', errorName: 'MessageRejected' }]);
  });

  it('skips both on redelivery, and a replay tries only the dead-lettered one again', async () => {
    const setup = await setUp();
    const accepted = refuseDestination(setup, CUSTOMER);
    const mail = inbound(setup, { from: SENDER, to: [setup.alias, setup.secondAlias] });
    const deadLetter = async () => undefined;
    await relayInboundMail(mail, setup.ports, options(setup), { deadLetter });

    const redelivered = await relayInboundMail(mail, setup.ports, options(setup), { deadLetter });
    expect(redelivered.map((result) => result.status).sort()).toEqual(['dead_lettered', 'duplicate']);
    expect(accepted).toHaveLength(1);

    setup.ports.mailer.send = async (message) => {
      accepted.push(message);
      return { messageId: 'ses-replayed' };
    };
    const replayed = await relayInboundMail(mail, setup.ports, options(setup), { replay: true, deadLetter });
    expect(replayed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'duplicate', transmissionId: `${mail.sesMessageId}/1` }),
        expect.objectContaining({ status: 'relayed', transmissionId: `${mail.sesMessageId}/0` }),
      ]),
    );
    expect(accepted.map((message) => message.to)).toEqual([[SECOND_CUSTOMER], [CUSTOMER]]);
  });

  it('retries a permanently failed delivery when there is no dead-letter queue to take it', async () => {
    const setup = await setUp();
    refuseDestination(setup, CUSTOMER);
    const mail = inbound(setup, { from: SENDER, to: [setup.alias, setup.secondAlias] });

    const error = await relayExpectingRetry(setup, mail);

    expect(error.results).toEqual([expect.objectContaining({ status: 'relayed' })]);
    expect(error.pending).toEqual([expect.objectContaining({ transmissionId: `${mail.sesMessageId}/0` })]);
  });

  it('relays one copy when the envelope names the same alias twice in different case', async () => {
    const setup = await setUp();
    const upper = setup.alias.toUpperCase();

    const results = await relay(setup, { from: SENDER, to: [setup.alias, upper] });

    expect(results.map((result) => result.status)).toEqual(['duplicate', 'relayed']);
    expect(setup.ports.mailer.sent).toHaveLength(1);
    expect(setup.ports.transmissions.records()).toHaveLength(1);
  });
});

describe('relayInboundMail: at most one SES send per lease', () => {
  it('keeps the claim of a send SES may have accepted: no second copy before the lease ends', async () => {
    const setup = await setUp();
    let attempts = 0;
    const capture = setup.ports.mailer.send.bind(setup.ports.mailer);
    setup.ports.mailer.send = async (message) => {
      attempts += 1;
      if (attempts === 1) throw new MaybeSentError('answer lost');
      return capture(message);
    };
    const mail = inbound(setup, { from: SENDER, to: [setup.alias] });

    const first = await relayExpectingRetry(setup, mail);
    expect(first.pending).toEqual([expect.objectContaining({ reason: 'maybe_sent' })]);

    setup.now = new Date(NOW.getTime() + (LEASE_SECONDS - 1) * 1000);
    const early = await relayExpectingRetry(setup, mail);
    expect(early.pending).toEqual([expect.objectContaining({ reason: 'delivery_in_progress' })]);
    expect(attempts).toBe(1);

    setup.now = new Date(NOW.getTime() + (LEASE_SECONDS + 1) * 1000);
    expect(await relayInboundMail(mail, setup.ports, options(setup))).toEqual([expect.objectContaining({ status: 'relayed' })]);
    expect(attempts).toBe(2);
  });

  it('keeps the claim of a relayed message whose record could not be written', async () => {
    const setup = await setUp();
    const complete = setup.ports.transmissions.complete.bind(setup.ports.transmissions);
    let failures = 1;
    setup.ports.transmissions.complete = async (record) => {
      if (failures-- > 0) throw Object.assign(new Error('unavailable'), { name: 'InternalServerError' });
      return complete(record);
    };
    const mail = inbound(setup, { from: SENDER, to: [setup.alias] });

    await relayExpectingRetry(setup, mail);
    await relayExpectingRetry(setup, mail);

    expect(setup.ports.mailer.sent).toHaveLength(1);
  });

  it('releases a delivery that certainly sent nothing, so the retry can send it at once', async () => {
    const setup = await setUp();
    let failures = 1;
    const capture = setup.ports.mailer.send.bind(setup.ports.mailer);
    setup.ports.mailer.send = async (message) => {
      if (failures-- > 0) throw Object.assign(new Error('slow down'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
      return capture(message);
    };
    const mail = inbound(setup, { from: SENDER, to: [setup.alias] });

    const error = await relayExpectingRetry(setup, mail);
    expect(error.pending).toEqual([expect.objectContaining({ reason: 'throttled' })]);

    expect(await relayInboundMail(mail, setup.ports, options(setup))).toEqual([expect.objectContaining({ status: 'relayed' })]);
  });

  it('rethrows the error that decides retry or dead letter, though giving the claims back failed too', async () => {
    const setup = await setUp();
    setup.ports.transmissions.release = async () => {
      throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
    };
    const mail = inbound(setup, { from: SENDER, to: [setup.alias] });
    setup.ports.rawMail.objects.clear();

    await expect(relayInboundMail(mail, setup.ports, options(setup))).rejects.toThrow(/NoSuchKey/);
  });
});

describe('relayInboundMail: only verified senders', () => {
  it('refuses a sender registered but not yet verified as unregistered, and relays it once verified', async () => {
    const setup = await setUp();
    const pending = 'new-staff@shop.example';
    const sender = {
      storeId: 'demo-shop',
      senderId: 'snd_0123456789abcdef',
      addressHash: await setup.ports.keys.mac(addressMacInput(pending)),
      addressCipher: await setup.ports.keys.encrypt(pending, storeSenderContext('demo-shop')),
      createdAt: NOW.toISOString(),
    };
    await setup.ports.stores.putSender({ ...sender, status: 'pending' });

    expect(await relay(setup, { from: pending, to: [setup.alias] })).toEqual([expect.objectContaining({ status: 'refused', reason: 'unregistered_sender' })]);

    await setup.ports.stores.putSender({ ...sender, status: 'verified', verifiedBy: 'link' });
    expect(await relay(setup, { from: pending, to: [setup.alias] })).toEqual([expect.objectContaining({ status: 'relayed' })]);
  });
});

describe('relayInboundMail: every address of the sending party is a secret', () => {
  it("removes the store's contact and its other registered senders from the customer's copy", async () => {
    const setup = await setUp();

    await relay(setup, { from: SENDER, to: [setup.alias], subject: `Write to ${CONTACT} or ${OTHER_SENDER.toUpperCase()}` });

    const [sent] = setup.ports.mailer.sent;
    const header = Buffer.from(sent!.raw).toString('latin1').split('\r\n\r\n', 1)[0]!.toLowerCase();
    expect(header).toContain('subject: write to [address removed] or [address removed]');
    for (const secret of [CONTACT, OTHER_SENDER, SENDER, CUSTOMER]) expect(header).not.toContain(secret);
    expect(statusOf(sent!.raw)).toBeUndefined();
  });
});

describe('an alias issued with its reverse alias and unsubscribe token', () => {
  it('relays from the reverse alias on the record, with its token, computing no keyed hash and writing no alias', async () => {
    const setup = await setUp();
    const customerAlias = setup.secondAlias.slice(0, setup.secondAlias.indexOf('@'));
    const record = await setup.ports.aliases.getAlias(customerAlias);
    // As issued now: the names are kept on the record (any names the relay could not derive itself
    // show that they come from it).
    setup.ports.aliases.records.set(customerAlias, { ...record!, reverseAlias: 'm-aaaaaaaaaaaa', unsubscribeToken: `${customerAlias}.kept` });
    const aliasesBefore = setup.ports.aliases.records.size;
    const macs: string[] = [];
    const mac = setup.ports.keys.mac.bind(setup.ports.keys);
    setup.ports.keys.mac = async (input: string) => {
      macs.push(input);
      return mac(input);
    };
    const [result] = await relay(setup, { from: SENDER, to: [setup.secondAlias] }, {}, { menuUrl: 'https://menu.example' });
    expect(result).toMatchObject({ status: 'relayed' });
    const sent = setup.ports.mailer.sent.at(-1)!;
    expect(sent.from).toBe(`m-aaaaaaaaaaaa@${RELAY}`);
    expect(Buffer.from(sent.raw).toString('latin1')).toContain(`https://menu.example/unsubscribe/${customerAlias}.kept`);
    expect(setup.ports.aliases.records.size).toBe(aliasesBefore);
    // The sender's keyed hash, once; nothing for the reverse alias or the token.
    expect(macs).toEqual([addressMacInput(SENDER)]);
  });
});
