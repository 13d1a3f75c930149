import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { logicalId, relayTemplate } from './support';

const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;
const outdir = mkdtempSync(join(tmpdir(), 'anshin-bundle-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** One synthesis with bundling on builds every function's asset; later calls reuse it. */
let bundled: ReturnType<typeof relayTemplate> | undefined;
function bundledTemplate(): ReturnType<typeof relayTemplate> {
  bundled ??= relayTemplate({ bundle: true, outdir });
  return bundled;
}

const FUNCTIONS: readonly [string, (stack: AnshinRelayStack) => { node: { defaultChild?: unknown } }][] = [
  ['relay', (stack) => stack.relay.function],
  ['feedback', (stack) => stack.sending.function],
  ['retention', (stack) => stack.retention.function],
  ['destruction', (stack) => stack.destruction.function],
  ['marketplace API', (stack) => stack.api.function],
  ['merchant menu', (stack) => stack.menu.function],
  ['fraud signals', (stack) => stack.fraud.function],
  ['analysis export', (stack) => stack.analysis.function],
];

interface FunctionProperties {
  readonly Code: { readonly S3Key: string };
  readonly Environment: { readonly Variables: Record<string, unknown> };
}

function functionProperties(functionOf: (stack: AnshinRelayStack) => { node: { defaultChild?: unknown } }): FunctionProperties {
  const { stack, template } = bundledTemplate();
  return template.toJSON().Resources[logicalId(stack, functionOf(stack))].Properties as FunctionProperties;
}

/** Where synthesis left the function's bundle. */
function assetDirOf(properties: FunctionProperties): string {
  return join(outdir, `asset.${properties.Code.S3Key.replace(/\.zip$/, '')}`);
}

function relayBundleCode(): string {
  return readFileSync(join(assetDirOf(functionProperties((stack) => stack.relay.function)), 'index.mjs'), 'utf8');
}

/** A stand-in for a value known only at deployment: a URL where the handler parses one. */
const standIn = (name: string): string => (name.endsWith('_URL') ? `https://example.invalid/${name.toLowerCase()}` : `test-${name}`);

describe('function bundles', () => {
  it.each(FUNCTIONS)('bundles the %s handler with local esbuild into one ES module exporting `handler`', (_name, functionOf) => {
    // Prepare
    const properties = functionProperties(functionOf);

    // Act
    const assetDir = assetDirOf(properties);
    const files = readdirSync(assetDir).sort();

    // Assess
    expect(files).toEqual(['index.mjs', 'index.mjs.map']);
    const size = files.reduce((total, file) => total + statSync(join(assetDir, file)).size, 0);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);

    // Loaded as Lambda loads it: a fresh Node process importing the module, with the environment the
    // stack sets. Values known at synthesis (the retention policy, periods) are passed as they are;
    // resource names and ARNs, known only at deployment, as stand-ins. No AWS call is made at import.
    const environment = Object.fromEntries(
      Object.entries(properties.Environment.Variables).map(([name, value]) => [name, typeof value === 'string' ? value : standIn(name)]),
    );
    const exported = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)}); console.log(typeof m.handler);`],
      { env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1', ...environment }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(exported.trim()).toBe('function');

    // Without one of the tables it is given, it refuses to start, naming what is missing.
    const missing = Object.keys(environment).find((name) => name.endsWith('_TABLE'));
    expect(missing).toBeDefined();
    const { [missing ?? '']: _left, ...incomplete } = environment;
    const refused = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});`], {
      env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1', ...incomplete },
      encoding: 'utf8',
    });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`environment variable ${missing} is not set`);
  });

  it('replaces iconv-lite in the relay bundle with its stand-in on TextDecoder, leaving out its code tables', () => {
    const code = relayBundleCode();
    expect(code).toContain('iconv-lite stand-in');
    // iconv-lite's codec modules register themselves as `_dbcs` and `_sbcs`.
    expect(code).not.toContain('_dbcs');
    expect(code).not.toContain('_sbcs');
  });

  it('replaces joi in the relay bundle with its stand-in (mailauth needs one base64 check of it)', () => {
    const code = relayBundleCode();
    expect(code).toContain('joi stand-in');
    expect(code).not.toContain('@hapi/');
  });
});
