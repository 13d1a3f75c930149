import { describe, expect, it } from 'vitest';
import { annualStatement, renderAnnualReport } from '../../../cli/annual-report';
import type { AnnualFacts } from '../../../cli/annual-report';

/** A year with one breach, one incident that was none, and the register kept since 2019. */
const FACTS: AnnualFacts = {
  year: 2026,
  generatedAt: '2027-01-05T01:00:00.000Z',
  target: 'aws',
  version: '0.1.0',
  register: {
    openedAt: '2019-04-01T00:00:00.000Z',
    incidents: [
      { receiptId: 'r1', occurredAt: '2026-03-10T01:00:00.000Z', title: '設定誤りによる送信記録の閲覧', breach: true, classes: ['transmission'], affected: 12 },
      { receiptId: 'r2', occurredAt: '2026-07-01T01:00:00.000Z', title: 'SMTP受付の一時停止', breach: false, classes: [], affected: 0 },
      { receiptId: 'r3', occurredAt: '2015-07-01T01:00:00.000Z', title: '十年より前の漏えい', breach: true, classes: ['address'], affected: 3 },
    ],
    chainWhole: true,
    entries: 4,
  },
  retention: { runs: 365, complete: 364 },
  destruction: { requests: 40, requestsFulfilled: 40, receipts: 52, longestHours: 2.2 },
  residency: { passed: true, findings: 0 },
  keys: [
    { key: 'address', rotation: 'enabled' },
    { key: 'HMAC', rotation: 'not_rotatable' },
  ],
  traffic: { relayed: 1_234_567, refused: 8_910, source: 'cloudwatch' },
};

describe('the annual statement', () => {
  it.each(['ja', 'en'] as const)('reads as the golden file (%s)', async (lang) => {
    await expect(renderAnnualReport(FACTS, lang, 'md')).toMatchFileSnapshot(`golden/annual-2026.${lang}.md`);
  });

  it('lists only breaches of the last ten years, and no incident that was none', () => {
    const [breaches] = annualStatement(FACTS, 'en').sections;
    expect(breaches?.items.map((item) => item.text)).toEqual(['2026-03-10: 設定誤りによる送信記録の閲覧 (data classes: transmission; users affected: 12)']);
  });

  it('says "none" for ten years only when the register covers all of them', () => {
    const none = { ...FACTS, register: { ...FACTS.register, incidents: [], openedAt: '2016-04-01T00:00:00.000Z' } };
    expect(annualStatement(none, 'en').sections[0]?.items[0]?.text).toBe('In the last ten years (1 January 2017 to 31 December 2026) there was no breach of user information.');
    const young = { ...none, register: { ...none.register, openedAt: '2024-02-01T03:00:00.000Z' } };
    expect(annualStatement(young, 'ja').sections[0]?.items[0]?.text).toBe(
      'インシデント台帳を開始した2024年2月1日以降、利用者情報の漏えい等はありませんでした。それより前の期間は台帳に記録がなく、この報告では述べられません。',
    );
    const never = { ...none, register: { incidents: [], chainWhole: true, entries: 0 } };
    expect(annualStatement(never, 'en').sections[0]?.items[0]?.text).toMatch(/has not been opened yet/);
  });

  it('says so when the register fails verification', () => {
    const broken = { ...FACTS, register: { ...FACTS.register, chainWhole: false } };
    const items = annualStatement(broken, 'en').sections[0]?.items ?? [];
    expect(items.at(-1)?.text).toMatch(/failed verification/);
    expect(items[0]?.source).toBe('incident register (4 entries, signatures and chain FAILED verification)');
  });

  it('names a source for every figure', () => {
    for (const lang of ['ja', 'en'] as const) {
      for (const section of annualStatement(FACTS, lang).sections) for (const item of section.items) expect(item.source.length).toBeGreaterThan(0);
    }
  });

  it('renders HTML with everything escaped, and JSON with the facts', () => {
    const tricky = { ...FACTS, register: { ...FACTS.register, incidents: [{ ...FACTS.register.incidents[0]!, title: '<script>alert(1)</script>' }] } };
    const html = renderAnnualReport(tricky, 'en', 'html');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(JSON.parse(renderAnnualReport(FACTS, 'ja', 'json'))).toMatchObject({ lang: 'ja', facts: FACTS });
  });
});
