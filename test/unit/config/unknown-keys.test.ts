import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../lib/config';
import { readFileSync } from 'node:fs';

const CDK_JSON_CONFIG = (JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as { context: { anshin: unknown } }).context.anshin;

/** A misspelt key must fail synthesis naming it and the key it most likely meant, never fall back to a default. */
describe('configuration keys', () => {
  it.each([
    [{ relaydomain: 'x.example.jp' }, /^anshin has no field "relaydomain"; did you mean "relayDomain"\?/],
    [{ rateLimit: {} }, /did you mean "rateLimits"\?/],
    [{ alarms: { email: ['a@b.example'] } }, /anshin\.alarms.*email/],
    [{ retention: { clases: {} } }, /anshin\.retention has no field "clases"; did you mean "classes"\?/],
    [{ somethingElse: 1 }, /^anshin has no field "somethingElse" Known: /],
  ])('%j fails, naming the key', (given, message) => {
    expect(() => resolveConfig(given)).toThrow(ConfigError);
    expect(() => resolveConfig(given)).toThrow(message);
  });

  it("accepts every key of cdk.json's configuration", () => {
    expect(() => resolveConfig(CDK_JSON_CONFIG)).not.toThrow();
    expect(resolveConfig({ account: '123456789012' }).account).toBe('123456789012');
  });
});
