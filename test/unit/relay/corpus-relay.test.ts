import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { inspectHeaders, splitMessage } from '../../../lambdas/mail';
import { REFUSAL_REASONS } from '../../../lambdas/relay/screening';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { DeliveryResult, RelayOptions } from '../../../lambdas/relay/relay-inbound-mail';
import { createInMemoryPorts, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import { corpusPaths, readCorpusMessage } from '../../../devkit/corpus';
import { bodyAfterBlankLine, headerProblems, splitOutbound } from '../../support/outbound-checks';


const RELAY_DOMAIN = 'relay.example.jp';
const CUSTOMER = 'hanako.suzuki@customer.example.ne.jp';
const NOW = new Date('2024-06-01T03:04:05Z');
const OPTIONS: RelayOptions = { relayDomain: RELAY_DOMAIN, transmissionRetentionDays: 90, clock: () => NOW };
const PASS = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;

const paths = corpusPaths();

/** Raw values of the fields that name the sender, each decoded as a reader would, for address-shaped tokens. */
function senderFieldAddresses(header: Buffer): string[] {
  const unfolded = header.toString('latin1').replace(/\r?\n(?=[ \t])/g, '');
  const values = unfolded.split(/\r\n|\n|\r/).flatMap((line) => {
    const match = /^(from|sender|reply-to|return-path)[ \t]*:(.*)$/i.exec(line);
    return match?.[2] ? [libmime.decodeWords(match[2])] : [];
  });
  return values.flatMap((value) => Array.from(value.matchAll(/[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+\.[^\s<>()[\]\\,;:"@]+/g), (match) => match[0]));
}

/** The Return-Path address; empty for `<>`, undefined when there is no Return-Path. */
function returnPath(header: Buffer): string | undefined {
  const match = /^return-path[ \t]*:[ \t]*<?([^<>\s]*)>?/im.exec(header.toString('latin1'));
  return match ? (match[1] ?? '') : undefined;
}

interface CorpusRun {
  readonly result?: DeliveryResult;
  readonly problems: readonly string[];
}

/** Relays one corpus message from a store whose registered sender is the message's own From, to a customer alias. */
async function relayCorpusMessage(path: string, index: number): Promise<CorpusRun> {
  const raw = readCorpusMessage(path);
  const { header } = splitMessage(raw);
  const facts = inspectHeaders(header);
  const fromAddress = facts.from[0]?.address;
  const envelopeSender = fromAddress ?? returnPath(header) ?? 'sender@corpus.invalid';

  const ports = createInMemoryPorts();
  const recipient = await seedStoreAndCustomerAlias(ports, {
    storeId: 'corpus-store',
    displayName: 'コーパス商店',
    contact: 'owner@store.example.jp',
    senders: fromAddress ? [fromAddress] : [],
    orderId: `order-${index}`,
    customer: CUSTOMER,
    relayDomain: RELAY_DOMAIN,
    now: NOW,
  });
  const location = { bucket: 'anshin-inbound', key: `inbound/${index}` };
  ports.rawMail.put(location, raw);

  let results: DeliveryResult[];
  try {
    results = await relayInboundMail(
      { sesMessageId: `corpus-${index}`, receivedAt: NOW, envelopeSender, recipients: [recipient], verdicts: PASS, location },
      ports,
      OPTIONS,
    );
  } catch (error) {
    return { problems: [`threw ${String(error)}`] };
  }
  const [result] = results;
  if (!result || results.length !== 1) return { problems: [`expected one result, got ${results.length}`] };
  // A refusal may send a delivery status notification to the sender; only mail to the customer counts here.
  const toCustomer = ports.mailer.sent.filter((message) => message.to.includes(CUSTOMER));
  if (result.status === 'refused') {
    const problems = result.reason in REFUSAL_REASONS ? [] : [`unnamed refusal reason ${String(result.reason)}`];
    return { result, problems: toCustomer.length > 0 ? [...problems, 'refused but sent to the customer'] : problems };
  }
  if (result.status !== 'relayed') return { result, problems: [`unexpected status ${result.status}`] };

  const [sent] = toCustomer;
  if (!sent || toCustomer.length !== 1) return { result, problems: [`expected one message to the customer, got ${toCustomer.length}`] };
  const output = splitOutbound(sent.raw);
  const secrets = [...facts.senderAddresses, ...senderFieldAddresses(header), envelopeSender, CUSTOMER];
  const problems = [...headerProblems(output.header, secrets)];
  const ownBody = bodyAfterBlankLine(raw);
  if (ownBody) {
    if (!output.body.equals(ownBody)) problems.push('body bytes changed');
  } else {
    const { body } = splitMessage(raw);
    if (!output.body.equals(body)) problems.push('body differs from splitMessage body');
    if (!body.equals(raw.subarray(raw.length - body.length))) problems.push('body is not a suffix of the input');
  }
  if (sent.to.length !== 1) problems.push(`sent to ${sent.to.length} recipients`);
  return { result, problems };
}

describe('relayInboundMail over the shared corpus', () => {
  it('relays or refuses with a named reason every message, and what it relays is clean', async () => {
    const failures: string[] = [];
    const reasons = new Map<string, number>();
    let relayed = 0;

    for (const [index, path] of paths.entries()) {
      const run = await relayCorpusMessage(path, index);
      if (run.problems.length > 0) failures.push(`${path}: ${run.problems.join('; ')}`);
      if (run.result?.status === 'relayed') relayed += 1;
      if (run.result?.status === 'refused') reasons.set(run.result.reason, (reasons.get(run.result.reason) ?? 0) + 1);
    }

    const refused = [...reasons.values()].reduce((sum, count) => sum + count, 0);
    const breakdown = [...reasons.entries()].sort(([, a], [, b]) => b - a).map(([reason, count]) => `${reason} ${count}`);
    console.log(`corpus: ${paths.length} messages: ${relayed} relayed, ${refused} refused (${breakdown.join(', ')}), ${failures.length} failed`);

    expect(paths.length).toBe(389);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(relayed + refused).toBe(paths.length);
    expect([...reasons.keys()].filter((reason) => !(reason in REFUSAL_REASONS))).toEqual([]);
    // What is relayed and why the rest is not, message for message as the corpus stands: a relay that
    // refused more (or less) would change these, whatever it refused for.
    expect(relayed).toBe(202);
    expect(Object.fromEntries(reasons)).toEqual({ auto_submitted: 142, missing_from: 42, ambiguous_from: 1, null_sender: 1, unauthenticated_sender: 1 });
  });
});
