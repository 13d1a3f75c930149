import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressArbitrary, percentEncode, SECRET_ENCODINGS } from '../../support/secret-encodings';
import { REFUSAL_REASONS } from '../../../lambdas/relay/screening';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { RelayOptions } from '../../../lambdas/relay/relay-inbound-mail';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import { bodyAfterBlankLine, headerProblems, splitOutbound } from '../../support/outbound-checks';

const RELAY_DOMAIN = 'relay.example.jp';
const NOW = new Date('2024-06-01T03:04:05Z');
const OPTIONS: RelayOptions = { relayDomain: RELAY_DOMAIN, transmissionRetentionDays: 90, clock: () => NOW };
const PASS = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;


const FIELDS = [
  'To', 'Cc', 'Reply-To', 'Sender', 'Return-Path', 'Subject', 'References', 'In-Reply-To', 'Message-ID', 'Content-Type',
  'Content-Disposition', 'Content-Description', 'Received', 'List-Unsubscribe', 'Disposition-Notification-To', 'X-Original-To',
] as const;

function shaped(name: string, secret: string, noise: string): string {
  switch (name) {
    case 'To':
    case 'Cc':
    case 'Reply-To':
    case 'Sender':
    case 'Disposition-Notification-To':
      return `"${noise} ${secret}" <${secret}>`;
    case 'References':
    case 'In-Reply-To':
    case 'Message-ID':
      return `<${noise}.${secret}> <abc@ap-northeast-1.amazonses.com>`;
    case 'Content-Type':
      return `text/plain; charset=UTF-8; name="${secret}.txt"`;
    case 'Content-Disposition':
      return `attachment; filename*=utf-8''${percentEncode(secret)}`;
    case 'List-Unsubscribe':
      return `<mailto:${secret}?subject=${noise}>`;
    default:
      return `${noise} ${secret}`;
  }
}

const noise = fc.oneof(fc.stringMatching(/^[A-Za-z0-9 ]{0,10}$/), fc.constantFrom('注文', '=?', '"', '\\', ',', ';', '<', '>', ''));

/** A party: which of the three real addresses goes into a field. */
const party = fc.constantFrom('storeSender', 'storeContact', 'customer');
type Party = 'storeSender' | 'storeContact' | 'customer';

const scenario = fc.record({
  storeSender: addressArbitrary,
  storeContact: addressArbitrary,
  customer: addressArbitrary,
  direction: fc.constantFrom('merchant_to_customer', 'customer_to_merchant'),
  fromName: fc.tuple(party, fc.nat(SECRET_ENCODINGS.length - 1), noise),
  fields: fc.array(fc.tuple(fc.constantFrom(...FIELDS), party, fc.nat(SECRET_ENCODINGS.length - 1), noise), { minLength: 1, maxLength: 10 }),
  lineEnd: fc.constantFrom('\r\n', '\n'),
});

describe('relayInboundMail for any header set naming either party', () => {
  it("never lets the sender's or the recipient's real addressArbitrary into the outbound headers, and keeps the body", async () => {
    let relayed = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        fc.pre(new Set([input.storeSender, input.storeContact, input.customer]).size === 3);
        runs += 1;
        const ports = createInMemoryPorts();
        const customerAlias = await seedStoreAndCustomerAlias(ports, {
          storeId: 'prop-store',
          displayName: 'さくら雑貨店',
          contact: input.storeContact,
          senders: [input.storeSender],
          orderId: 'o-1',
          customer: input.customer,
          relayDomain: RELAY_DOMAIN,
          now: NOW,
        });
        const reverseAlias = await seedReverseAlias(ports, customerAlias, RELAY_DOMAIN);
        const toStore = input.direction === 'customer_to_merchant';
        const [sender, recipient, destination] = toStore ? [input.customer, reverseAlias, input.storeContact] : [input.storeSender, customerAlias, input.customer];
        const addressOf = (who: Party) => input[who];

        const [nameParty, nameEncoding, nameNoise] = input.fromName;
        const fromName = `${nameNoise} ${(SECRET_ENCODINGS[nameEncoding] ?? String)(addressOf(nameParty))}`;
        const fields = [
          `From: ${fromName} <${sender}>`,
          `To: <${recipient}>`,
          ...input.fields.map(([name, who, encoding, extra]) => `${name}: ${shaped(name, (SECRET_ENCODINGS[encoding] ?? String)(addressOf(who)), extra)}`),
        ];
        const body = `本文 ${input.customer} ${input.storeSender}${input.lineEnd}`;
        const raw = Buffer.from(`${fields.join(input.lineEnd)}${input.lineEnd}${input.lineEnd}${body}`, 'utf8');
        const location = { bucket: 'anshin-inbound', key: 'inbound/prop' };
        ports.rawMail.put(location, raw);

        const [result] = await relayInboundMail(
          { sesMessageId: 'prop-1', receivedAt: NOW, envelopeSender: sender, recipients: [recipient], verdicts: PASS, location },
          ports,
          OPTIONS,
        );

        const sent = ports.mailer.sent.filter((message) => message.to.includes(destination));
        if (result?.status === 'refused') {
          expect(Object.keys(REFUSAL_REASONS)).toContain(result.reason);
          expect(sent).toEqual([]);
          return;
        }
        expect(result?.status).toBe('relayed');
        relayed += 1;
        expect(sent).toHaveLength(1);
        const outbound = splitOutbound(sent[0]?.raw ?? new Uint8Array());
        // The parties' real addresses the relay knows for this message: the writer's own and the
        // reader's. The store's other addressArbitrary (its contact in its own mail, its sender in a reply) is
        // the store's to disclose and may pass; it is generated all the same, as noise.
        expect(headerProblems(outbound.header, [sender, destination])).toEqual([]);
        expect(outbound.body.equals(bodyAfterBlankLine(raw) ?? Buffer.alloc(1))).toBe(true);
      }),
      { numRuns: 200 },
    );
    // Refusals are allowed (a generated Return-Path can read as a bounce), but most runs must relay for the property to say anything.
    expect(relayed).toBeGreaterThan(runs / 2);
  });
});
