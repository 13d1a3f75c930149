import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseRetentionPolicy,
  policyVersion,
  RetentionPolicyError,
  retentionPromises,
  validateRetentionPolicy,
  worstCaseDays,
} from '../../../lambdas/records/retention-policy';
import type { RetentionPolicy } from '../../../lambdas/records/retention-policy';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../../lib/config';

const POLICY: RetentionPolicy = DEFAULT_CONFIG.retention;
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const CDK_JSON = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as { context: { anshin: unknown } };

describe('policyVersion', () => {
  it('is the same for the same periods, whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(POLICY).reverse()) as unknown as RetentionPolicy;
    expect(policyVersion(reordered)).toBe(policyVersion(POLICY));
    expect(policyVersion(POLICY)).toMatch(/^p-[0-9a-f]{12}$/);
  });

  it('changes when any one period changes', () => {
    const versions = new Set([
      policyVersion(POLICY),
      policyVersion({ ...POLICY, backupDays: 34 }),
      policyVersion({ ...POLICY, classes: { ...POLICY.classes, content: { retentionDays: 8, supportDays: 0 } } }),
      policyVersion({ ...POLICY, classes: { ...POLICY.classes, address: { retentionDays: 180, supportDays: 91 } } }),
    ]);
    expect(versions.size).toBe(4);
  });
});

describe('validateRetentionPolicy', () => {
  it('accepts the default policy and round-trips it through JSON', () => {
    expect(parseRetentionPolicy(JSON.stringify(POLICY))).toEqual(POLICY);
  });

  it.each<[string, unknown]>([
    ['a missing class', { ...POLICY, classes: { ...POLICY.classes, content: undefined } }],
    ['a fractional period', { ...POLICY, classes: { ...POLICY.classes, access: { retentionDays: 1.5, supportDays: 0 } } }],
    ['a zero retention', { ...POLICY, classes: { ...POLICY.classes, transmission: { retentionDays: 0, supportDays: 0 } } }],
    ['a negative support period', { ...POLICY, classes: { ...POLICY.classes, transmission: { retentionDays: 90, supportDays: -1 } } }],
    ['no backup window', { ...POLICY, backupDays: undefined }],
    ['support outliving the store', { ...POLICY, classes: { ...POLICY.classes, access: { retentionDays: 180, supportDays: 91 } } }],
  ])('refuses %s', (_label, candidate) => {
    expect(() => validateRetentionPolicy(candidate)).toThrow(RetentionPolicyError);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseRetentionPolicy('{')).toThrow(RetentionPolicyError);
    expect(() => parseRetentionPolicy('{')).toThrow('the retention policy is not JSON');
  });

  it.each([null, 7, 'policy'])('refuses %j as no policy at all', (candidate) => {
    expect(() => validateRetentionPolicy(candidate)).toThrow('a retention policy must be an object');
  });

  it.each(['backupDays', 'noncurrentContentDays', 'logDays', 'runIntervalDays'] as const)('refuses a missing %s, naming it, the least it may be and what it got', (field) => {
    const error = (() => {
      try {
        validateRetentionPolicy({ ...POLICY, [field]: 0 });
      } catch (thrown) {
        return thrown as Error;
      }
      return undefined;
    })();
    expect(error?.name).toBe('RetentionPolicyError');
    expect(error?.message).toBe(`${field} must be a whole number of days >= 1, got 0`);
  });

  it('lets evidence and analysis be kept past the address support (they hold no personal data), and no other class', () => {
    const longer = { retentionDays: 400, supportDays: POLICY.classes.address.supportDays + 1 };
    expect(validateRetentionPolicy({ ...POLICY, classes: { ...POLICY.classes, evidence: longer } }).classes.evidence).toEqual(longer);
    expect(validateRetentionPolicy({ ...POLICY, classes: { ...POLICY.classes, analysis: longer } }).classes.analysis).toEqual(longer);
    for (const dataClass of ['transmission', 'content', 'access'] as const) {
      expect(() => validateRetentionPolicy({ ...POLICY, classes: { ...POLICY.classes, [dataClass]: longer } })).toThrow(
        `${dataClass}.supportDays (${longer.supportDays}) exceeds address.supportDays (${POLICY.classes.address.supportDays})`,
      );
    }
  });
});

describe('resolveConfig retention', () => {
  it('merges given periods class by class over the defaults', () => {
    const config = resolveConfig({ retention: { classes: { content: { retentionDays: 3 } }, backupDays: 7 } });
    expect(config.retention.classes.content).toEqual({ retentionDays: 3, supportDays: 0 });
    expect(config.retention.classes.address).toEqual(POLICY.classes.address);
    expect(config.retention.backupDays).toBe(7);
  });

  it.each<[string, unknown]>([
    ['a log retention CloudWatch does not offer', { logDays: 31 }],
    ['a backup window longer than point-in-time recovery keeps', { backupDays: 36 }],
    ['a class with a bad period', { classes: { evidence: { retentionDays: 'long' } } }],
    ['a non-object', 7],
  ])('fails synthesis for %s, naming the field', (_label, retention) => {
    expect(() => resolveConfig({ retention })).toThrow(ConfigError);
    expect(() => resolveConfig({ retention })).toThrow(/anshin\.retention/);
  });

  it('deploys the same policy from cdk.json as the local stack runs with', () => {
    expect(resolveConfig(CDK_JSON.context.anshin).retention).toEqual(POLICY);
  });
});

describe('retention promises', () => {
  it('add the daily run and the backups to each period', () => {
    expect(worstCaseDays(POLICY, 'transmission', 'start')).toBe(90 + 1 + 35);
    expect(worstCaseDays(POLICY, 'address', 'start')).toBe(180 + 90 + 1 + 35);
    expect(worstCaseDays(POLICY, 'address', 'subject_end')).toBe(90 + 1 + 35);
    expect(worstCaseDays(POLICY, 'content', 'start')).toBe(7 + 1 + 1);
    // The analysis bucket keeps no versions and no backups; its own lifecycle runs daily.
    expect(worstCaseDays(POLICY, 'analysis', 'start')).toBe(365 + 1);
    expect(worstCaseDays({ ...POLICY, runIntervalDays: 3 }, 'analysis', 'start')).toBe(365 + 1);
    expect(worstCaseDays({ ...POLICY, runIntervalDays: 3 }, 'transmission', 'start')).toBe(90 + 3 + 35);
  });

  it('are stated in the README exactly as the default policy gives them', () => {
    for (const promise of retentionPromises(POLICY)) {
      expect(README).toContain(`| ${promise.what} | ${promise.dataClass} | ${promise.days} days | ${promise.after} |`);
    }
  });
});
