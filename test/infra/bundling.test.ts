import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RELAY_ENV } from '../../lambdas/shared/relay-env';
import { logicalId, relayTemplate } from './support';

const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;
const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('relay bundle', () => {
  it('bundles the relay handler with local esbuild into one ES module exporting `handler`', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'anshin-bundle-'));
    directories.push(outdir);

    // Act
    const { stack, template } = relayTemplate({ bundle: true, outdir });

    // Assess
    const code = template.toJSON().Resources[logicalId(stack, stack.relay.function)].Properties.Code as { S3Key: string };
    const assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const files = readdirSync(assetDir).sort();
    expect(files).toEqual(['index.mjs', 'index.mjs.map']);
    const size = files.reduce((total, file) => total + statSync(join(assetDir, file)).size, 0);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);

    // Loaded as Lambda loads it: a fresh Node process importing the module, with the environment the
    // stack sets (names only; no AWS call is made at import time).
    const values: Partial<Record<string, string>> = { [RELAY_ENV.transmissionRetentionDays]: '90', [RELAY_ENV.spamVerdictAction]: 'drop' };
    const environment = Object.fromEntries(Object.values(RELAY_ENV).map((name) => [name, values[name] ?? `test-${name}`]));
    const exported = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)}); console.log(typeof m.handler);`],
      { env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1', ...environment }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(exported.trim()).toBe('function');
  });
});
