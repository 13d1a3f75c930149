import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectHeaders, rewriteHeaders, splitMessage } from '../../../lambdas/mail';
import type { RewriteOptions } from '../../../lambdas/mail';

const FIXTURES = new URL('../../fixtures/headers/', import.meta.url);

interface OptionsFile extends Partial<Omit<RewriteOptions, 'now'>> {
  readonly now?: string;
}

const readJson = (name: string): OptionsFile => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as OptionsFile;

/** Shared options, overridden by `<case>.options.json`; secrets gain the input's sender addresses, as the relay passes them. */
function optionsFor(name: string, header: Buffer): RewriteOptions {
  const own = existsSync(new URL(`${name}.options.json`, FIXTURES)) ? readJson(`${name}.options.json`) : {};
  const merged = { ...readJson('options.json'), ...own };
  return {
    fromAlias: merged.fromAlias ?? '',
    toAlias: merged.toAlias ?? '',
    fallbackDisplayName: merged.fallbackDisplayName ?? '',
    secrets: [...(merged.secrets ?? []), ...inspectHeaders(header).senderAddresses],
    loopHeader: merged.loopHeader ?? { name: '', value: '' },
    now: new Date(merged.now ?? 0),
  };
}

const cases = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.in.eml'))
  .map((file) => file.slice(0, -'.in.eml'.length))
  .sort();

describe('rewriteHeaders golden fixtures', () => {
  it('has fixtures to compare', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)('rewrites %s.in.eml to %s.expected.eml byte for byte', (name) => {
    const input = readFileSync(new URL(`${name}.in.eml`, FIXTURES));
    const { header, body } = splitMessage(input);

    const actual = Buffer.concat([rewriteHeaders(header, optionsFor(name, header)), body]);

    const expectedFile = new URL(`${name}.expected.eml`, FIXTURES);
    const expected = existsSync(expectedFile) ? readFileSync(expectedFile) : Buffer.alloc(0);
    const actualFile = new URL(`${name}_actual.eml`, FIXTURES);
    if (actual.equals(expected)) rmSync(actualFile, { force: true });
    else writeFileSync(actualFile, actual);
    expect(actual.toString('latin1')).toBe(expected.toString('latin1'));
  });
});
