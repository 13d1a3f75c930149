import { describe, expect, it } from 'vitest';
import { authenticatedBy, domainsAlign, envelopeProven, needsDkimDomains, organisationalDomain } from '../../../lambdas/relay/authentication';
import type { SenderEvidence } from '../../../lambdas/relay/authentication';
import type { Verdicts } from '../../../lambdas/relay/verdicts';

const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const NOTHING: Verdicts = { ...PASS, spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'none' };

function evidence(change: Partial<Omit<SenderEvidence, 'verdicts'>> & { verdicts?: Partial<Verdicts> } = {}): SenderEvidence {
  const { verdicts, ...rest } = change;
  return { fromAddress: 'news@shop.example', envelopeSender: 'bounce@shop.example', ...rest, verdicts: { ...NOTHING, ...verdicts } };
}

describe('organisationalDomain', () => {
  it.each([
    ['shop.example.co.jp', 'example.co.jp'],
    ['a.b.shop.co.jp', 'shop.co.jp'],
    ['mail.example-isp.ne.jp', 'example-isp.ne.jp'],
    ['MAIL.Example-ISP.ne.jp.', 'example-isp.ne.jp'],
    // Private section of the list: every subdomain is its own organisation.
    ['shop.github.io', 'shop.github.io'],
    ['news.shop.example', 'shop.example'],
    ['localhost', 'localhost'],
  ])('of %s is %s', (domain, expected) => {
    expect(organisationalDomain(domain)).toBe(expected);
  });
});

describe('domainsAlign', () => {
  it.each([
    ['mail.shop.co.jp', 'shop.co.jp'],
    ['bounce.shop.example', 'news.shop.example'],
  ])('aligns %s with %s (same organisation)', (first, second) => {
    expect(domainsAlign(first, second)).toBe(true);
  });

  it.each([
    // "The last two labels" would call all of these one organisation.
    ['mail.example-isp.ne.jp', 'attacker.ne.jp'],
    ['myshop.co.jp', 'other.co.jp'],
    ['shop.github.io', 'attacker.github.io'],
    ['shop.example', 'shop.example.attacker.example'],
    ['', ''],
  ])('does not align %s with %s', (first, second) => {
    expect(domainsAlign(first, second)).toBe(false);
  });
});

describe('authenticatedBy', () => {
  it('accepts DMARC pass, which SES evaluates against the From domain', () => {
    expect(authenticatedBy(evidence({ verdicts: { dmarc: 'PASS' }, envelopeSender: 'bounce@esp.example' }))).toBe('dmarc');
  });

  it('does not take SES\'s DKIM pass alone: it does not say which domain signed', () => {
    expect(authenticatedBy(evidence({ verdicts: { dkim: 'PASS' }, envelopeSender: 'bounce@esp.example' }))).toBeUndefined();
  });

  it('accepts a verified signature whose domain aligns with From', () => {
    expect(authenticatedBy(evidence({ verdicts: { dkim: 'PASS' }, dkimDomains: ['mail.shop.example'] }))).toBe('dkim');
  });

  it('refuses a verified signature of an unrelated domain (a stranger signing as attacker.example)', () => {
    expect(authenticatedBy(evidence({ verdicts: { dkim: 'PASS' }, dkimDomains: ['attacker.example'], envelopeSender: 'a@attacker.example' }))).toBeUndefined();
  });

  it('refuses a signature of another subscriber of the same public suffix', () => {
    const from = 'myshop@mail.example-isp.ne.jp';
    expect(authenticatedBy(evidence({ fromAddress: from, verdicts: { dkim: 'PASS' }, dkimDomains: ['attacker.ne.jp'] }))).toBeUndefined();
    expect(authenticatedBy(evidence({ fromAddress: from, verdicts: { spf: 'PASS' }, envelopeSender: 'x@attacker.ne.jp' }))).toBeUndefined();
  });

  it('accepts the same ISP domain signing for its subscriber', () => {
    expect(authenticatedBy(evidence({ fromAddress: 'myshop@mail.example-isp.ne.jp', verdicts: { dkim: 'PASS' }, dkimDomains: ['example-isp.ne.jp'] }))).toBe('dkim');
  });

  it('ignores signing domains when SES saw no DKIM pass', () => {
    expect(authenticatedBy(evidence({ verdicts: { dkim: 'FAIL' }, dkimDomains: ['shop.example'] }))).toBeUndefined();
  });

  it.each(['news@shop.example', 'bounce@mail.shop.example'])('accepts SPF pass for an aligned envelope sender %s', (envelopeSender) => {
    expect(authenticatedBy(evidence({ verdicts: { spf: 'PASS' }, envelopeSender }))).toBe('spf');
  });

  it('refuses SPF pass for an unrelated envelope domain', () => {
    expect(authenticatedBy(evidence({ verdicts: { spf: 'PASS' }, envelopeSender: 'attacker@evil.example' }))).toBeUndefined();
  });

  it('refuses when nothing passed', () => {
    expect(authenticatedBy(evidence({ verdicts: { spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' } }))).toBeUndefined();
  });

  it('refuses a From without a domain', () => {
    expect(authenticatedBy(evidence({ fromAddress: 'undisclosed', verdicts: { dmarc: 'PASS' } }))).toBeUndefined();
  });
});

describe('needsDkimDomains', () => {
  it.each<[Partial<Verdicts>, boolean]>([
    [{ dmarc: 'PASS', dkim: 'PASS' }, false],
    [{ dmarc: 'FAIL', dkim: 'PASS' }, true],
    [{ dmarc: 'GRAY', dkim: 'PASS' }, true],
    [{ dmarc: 'FAIL', dkim: 'FAIL' }, false],
  ])('for %o is %s', (verdicts, expected) => {
    expect(needsDkimDomains({ ...NOTHING, ...verdicts })).toBe(expected);
  });
});

describe('envelopeProven', () => {
  it('is proven when SPF passed for the envelope domain', () => {
    expect(envelopeProven(evidence({ verdicts: { spf: 'PASS' }, envelopeSender: 'bounces@esp.example' }), false)).toBe(true);
  });

  it('is proven when the envelope aligns with an authenticated From', () => {
    expect(envelopeProven(evidence({ verdicts: { dmarc: 'PASS' }, envelopeSender: 'bounce@mail.shop.example' }), true)).toBe(true);
  });

  it("is not proven for a victim's address under a stranger's authenticated From", () => {
    const forged = evidence({ verdicts: { dmarc: 'PASS', spf: 'FAIL' }, fromAddress: 'me@attacker.example', envelopeSender: 'victim@victim.example' });
    expect(envelopeProven(forged, true)).toBe(false);
  });

  it('is not proven for an aligned envelope when From is not authenticated', () => {
    expect(envelopeProven(evidence({ verdicts: { spf: 'GRAY' } }), false)).toBe(false);
  });

  it('is never proven for the null sender', () => {
    expect(envelopeProven(evidence({ verdicts: { spf: 'PASS' }, envelopeSender: '' }), true)).toBe(false);
  });
});
