import { describe, expect, it } from 'vitest';
import { computeSignals, DEFAULT_FRAUD_THRESHOLDS, historyStart, parseFraudThresholds } from '../../../lambdas/fraud/signals';
import { japanDay, japanDayBounds } from '../../../lambdas/records/days';
import type { AccessEvent, DayRecord } from '../../../lambdas/fraud/signals';
import { ConfigError, resolveConfig } from '../../../lib/config';

const DAY = '2026-12-07';
// 10:00 in Japan on DAY.
const AT = '2026-12-07T01:00:00.000Z';

const relayed = (storeId: string, aliasId: string, receivedAt = AT): DayRecord => ({ storeId, aliasId, receivedAt, kind: 'delivery', direction: 'merchant_to_customer', outcome: 'relayed' });
const refused = (storeId: string, aliasId: string, reason: string): DayRecord => ({ storeId, aliasId, receivedAt: AT, kind: 'delivery', outcome: 'refused', reason });
const many = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));
const signals = (records: readonly DayRecord[], access: readonly AccessEvent[] = [], thresholds = DEFAULT_FRAUD_THRESHOLDS) => computeSignals({ day: DAY, records, access, thresholds });

describe('Japanese days', () => {
  it('begin at midnight in Japan', () => {
    expect(japanDay(new Date('2026-12-06T15:00:00Z'))).toBe('2026-12-07');
    expect(japanDay(new Date('2026-12-06T14:59:59Z'))).toBe('2026-12-06');
    expect(japanDayBounds(DAY)).toEqual({ from: new Date('2026-12-06T15:00:00Z'), to: new Date('2026-12-07T15:00:00Z') });
    expect(historyStart(DAY)).toBe('2026-11-23');
  });
});

describe('abuse signals', () => {
  it('flag and pause a store whose volume is a spike over its 14-day median, and not one at its usual volume', () => {
    const history = many(14, (index) => many(40, (n) => relayed('spiky', `c-h${n % 10}`, new Date(Date.parse(AT) - (index + 1) * 86_400_000).toISOString()))).flat();
    const usual = signals([...history, ...many(180, (n) => relayed('spiky', `c-${n % 40}`))]);
    expect(usual.stores).toEqual([]);

    const report = signals([...history, ...many(210, (n) => relayed('spiky', `c-${n % 40}`))]);
    expect(report.stores).toEqual([expect.objectContaining({ storeId: 'spiky', volume: 210, medianVolume: 40, aliasesContacted: 40, flags: ['volume_spike'], pause: 'volume_spike' })]);
  });

  it("counts a new store's history as empty days, and spares a small store's busy day", () => {
    expect(signals(many(150, (n) => relayed('new', `c-${n}`))).stores).toEqual([]);
    expect(signals(many(201, (n) => relayed('new', `c-${n}`))).stores).toEqual([expect.objectContaining({ medianVolume: 0, flags: ['volume_spike'] })]);
  });

  it('pause a store at its complaint rate, from the minimum volume on, and flag its bounce rate', () => {
    const feedback = (kind: 'bounce' | 'complaint'): DayRecord => ({ storeId: 'noisy', aliasId: 'c-1', receivedAt: AT, kind });
    const report = signals([...many(20, () => relayed('noisy', 'c-1')), feedback('complaint'), feedback('bounce'), feedback('bounce')]);
    expect(report.stores).toEqual([expect.objectContaining({ complaints: 1, complaintRate: 0.05, bounces: 2, bounceRate: 0.1, flags: ['complaint_rate', 'bounce_rate'], pause: 'complaint_rate' })]);
    expect(signals([...many(19, () => relayed('quiet', 'c-1')), { storeId: 'quiet', aliasId: 'c-1', receivedAt: AT, kind: 'complaint' }]).stores).toEqual([]);
  });

  it('count spoofing attempts against a store and its aliases, and pause the store at the threshold', () => {
    const report = signals([...many(45, (n) => refused('spoofed', `c-${n % 3}`, 'unregistered_sender')), ...many(5, () => refused('spoofed', 'c-0', 'unauthenticated_sender')), refused('spoofed', 'c-0', 'expired_alias')]);
    expect(report.stores).toEqual([
      expect.objectContaining({ spoofingAttempts: 50, refusals: { expired_alias: 1, unauthenticated_sender: 5, unregistered_sender: 45 }, flags: ['spoofing_volume'], pause: 'spoofing_volume' }),
    ]);
    expect(report.aliases.map((alias) => [alias.alias, alias.spoofingAttempts, alias.flags])).toEqual([
      ['c-0', 20, ['alias_spoofing']],
      ['c-1', 15, ['alias_spoofing']],
      ['c-2', 15, ['alias_spoofing']],
    ]);
  });

  it('flag failed menu logins per store and per IP, and senders added, without pausing', () => {
    const login = (storeId: string, clientIp: string, result: string): AccessEvent => ({ storeId, clientIp, at: AT, action: 'login', result });
    const access = [
      ...many(10, () => login('targeted', '203.0.113.9', 'wrong_password')),
      ...many(12, (n) => login(`store-${n}`, '203.0.113.9', 'locked')),
      login('targeted', '198.51.100.1', 'success'),
      ...many(5, () => ({ storeId: 'busy', clientIp: '198.51.100.2', at: AT, action: 'add_sender', result: 'ok' })),
    ];
    const report = signals([], access);
    expect(report.stores.map((store) => [store.storeId, store.flags, store.pause])).toEqual([
      ['busy', ['senders_added'], undefined],
      ['targeted', ['failed_logins'], undefined],
    ]);
    expect(report.ips).toEqual([{ clientIp: '203.0.113.9', failedLogins: 22, storesTried: 13, flags: ['failed_logins'] }]);
  });

  it('flag a store whose mail found its rate limit full often enough, without pausing it', () => {
    const report = computeSignals({ day: DAY, records: [], access: [], overLimit: new Map([['bursty', 10], ['steady', 9], ['idle', 0]]), thresholds: DEFAULT_FRAUD_THRESHOLDS });
    expect(report.stores).toEqual([expect.objectContaining({ storeId: 'bursty', overLimit: 10, flags: ['rate_limited'] })]);
    expect(report.stores[0]).not.toHaveProperty('pause');
    expect(report.storesSeen).toBe(2);
  });

  it('flag an alias that received more than a person does', () => {
    expect(signals(many(50, () => relayed('shop', 'c-flooded'))).aliases).toEqual([{ alias: 'c-flooded', storeId: 'shop', received: 50, spoofingAttempts: 0, flags: ['alias_volume'] }]);
  });

  it('leave out records of other days', () => {
    const tomorrow = new Date(Date.parse(AT) + 86_400_000).toISOString();
    expect(signals(many(300, () => relayed('later', 'c-1', tomorrow))).storesSeen).toBe(0);
  });

  it('take thresholds from the configuration, refusing a wrong one by name', () => {
    expect(resolveConfig({ fraud: { spikeMinimum: 20 } }).fraud).toEqual({ ...DEFAULT_FRAUD_THRESHOLDS, spikeMinimum: 20 });
    expect(() => resolveConfig({ fraud: { complaintRate: 2 } })).toThrow(ConfigError);
    expect(() => resolveConfig({ fraud: { complaintRate: 2 } })).toThrow(/anshin.fraud.complaintRate/);
    expect(() => parseFraudThresholds({ ...DEFAULT_FRAUD_THRESHOLDS, unknown: 1 })).toThrow(/unknown/i);
  });
});
