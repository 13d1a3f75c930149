import { afterEach, describe, expect, it, vi } from 'vitest';
import { ANALYSIS_ENV, API_ENV, DATA_ENV, FEEDBACK_ENV, FRAUD_ENV, MENU_ENV, RELAY_ENV } from '../../../lambdas/env';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { DEFAULT_RATE_LIMITS } from '../../../lambdas/relay/rate-limits';

/**
 * Each function's cold start as Lambda runs it: the handler module loads with the environment its
 * construct sets (the same name maps), creates its clients once, and refuses to start, naming the
 * variable, when one is missing. A renamed or forgotten variable fails here, not at deploy.
 */

const NUMBERS: Record<string, string> = {
  [RELAY_ENV.transmissionRetentionDays]: '90',
  [RELAY_ENV.contentRetentionDays]: '7',
  [RELAY_ENV.bouncesPerSenderPerHour]: '10',
  [RELAY_ENV.rateLimits]: JSON.stringify(DEFAULT_RATE_LIMITS),
  [RELAY_ENV.spamVerdictAction]: 'drop',
  [FEEDBACK_ENV.hardBouncePauseDays]: '7',
  [API_ENV.aliasValidityDays]: '180',
  [API_ENV.aliasSupportDays]: '90',
  [API_ENV.evidenceRetentionDays]: '1827',
  [DATA_ENV.retentionPolicy]: JSON.stringify(DEFAULT_CONFIG.retention),
  [MENU_ENV.accessRetentionDays]: '365',
  [MENU_ENV.menuUrl]: 'https://menu.example.jp',
  [FRAUD_ENV.thresholds]: JSON.stringify(DEFAULT_CONFIG.fraud),
};

const HANDLERS = [
  ['relay', RELAY_ENV, () => import('../../../lambdas/relay/handler')],
  ['feedback', FEEDBACK_ENV, () => import('../../../lambdas/feedback/handler')],
  ['api', API_ENV, () => import('../../../lambdas/api/handler')],
  ['retention', DATA_ENV, () => import('../../../lambdas/retention/handler')],
  ['destruction', DATA_ENV, () => import('../../../lambdas/destruction/handler')],
  ['menu', MENU_ENV, () => import('../../../lambdas/menu/handler')],
  ['fraud', FRAUD_ENV, () => import('../../../lambdas/fraud/handler')],
  ['analysis', ANALYSIS_ENV, () => import('../../../lambdas/analysis/handler')],
] as const;

/** The names a handler reads: every name of its map but those another function alone needs. */
const NOT_READ: Partial<Record<string, readonly string[]>> = {
  retention: [DATA_ENV.hmacKeyId, DATA_ENV.userPoolId, DATA_ENV.addressKeyId],
  destruction: [DATA_ENV.destructionFunctionName],
};

function setEnvironment(names: Readonly<Record<string, string>>): void {
  for (const name of Object.values(names)) vi.stubEnv(name, NUMBERS[name] ?? `test-${name.toLowerCase()}`);
  vi.stubEnv('AWS_REGION', 'ap-northeast-1');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe.each(HANDLERS)('the %s handler at cold start', (name, names, load) => {
  it('loads with the environment its construct sets and exports a handler', async () => {
    setEnvironment(names);
    const module = (await load()) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });

  it.each(['us-east-1', ''])('refuses to start in any region but ap-northeast-1 (AWS_REGION=%j)', async (region) => {
    setEnvironment(names);
    vi.stubEnv('AWS_REGION', region);
    await expect(load()).rejects.toThrow(/runs only in ap-northeast-1/);
  });

  it.each(Object.values(names).filter((variable) => !(NOT_READ[name] ?? []).includes(variable)))('refuses to start without %s, naming it', async (missing) => {
    setEnvironment(names);
    vi.stubEnv(missing, '');
    await expect(load()).rejects.toThrow(missing);
  });
});
