/**
 * Cold start: each Lambda bundled as the stack bundles it for deployment (esbuild with the stack's
 * `BUNDLING_DEFAULTS`), and the time a fresh Node process takes to import the relay's bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { DEFAULT_RATE_LIMITS } from '../lambdas/relay/rate-limits';
import { BUNDLE_ALIASES, BUNDLING_DEFAULTS } from '../lib/secure-defaults';
import { RELAY_ENV } from '../lambdas/env';
import { median } from './support/timing';

export interface BundleRow {
  readonly lambda: string;
  /** `index.mjs` as emitted, what Lambda loads. */
  readonly bytes?: number;
  /** The same compressed as in the deployment zip (raw deflate). */
  readonly zippedBytes?: number;
  readonly sourceMapBytes?: number;
  /** Why it could not be bundled, when it could not. */
  readonly error?: string;
}

export interface ColdStart {
  readonly bundles: readonly BundleRow[];
  /** Median milliseconds of `await import()` of the relay bundle in a fresh process, and each run. */
  readonly relayImportMs: number;
  readonly relayImportRunsMs: readonly number[];
  /** The peer (aws-lambda-ses-forwarder) bundled the same way: its size, and its import timed in the same alternation. */
  readonly peer: { readonly bytes: number; readonly importMs: number; readonly importRunsMs: readonly number[] };
  readonly nodeVersion: string;
}

const LAMBDAS_DIR = fileURLToPath(new URL('../lambdas/', import.meta.url));
/** The peer's Lambda entry, as its README deploys it. */
const PEER_ENTRY = fileURLToPath(new URL('../node_modules/aws-lambda-ses-forwarder/index.js', import.meta.url));

/** Every `lambdas/<name>/handler.ts`: one deployed function each. */
function lambdaEntries(): { name: string; entry: string }[] {
  return readdirSync(LAMBDAS_DIR)
    .map((name) => ({ name, entry: join(LAMBDAS_DIR, name, 'handler.ts') }))
    .filter(({ entry }) => existsSync(entry))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The command line aws-lambda-nodejs runs for local bundling, as esbuild API options. */
async function bundle(entry: string, outdir: string): Promise<void> {
  const defaults = BUNDLING_DEFAULTS;
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: defaults.format === 'esm' ? 'esm' : 'cjs',
    outfile: join(outdir, defaults.format === 'esm' ? 'index.mjs' : 'index.js'),
    ...(defaults.target ? { target: defaults.target } : {}),
    ...(defaults.mainFields ? { mainFields: defaults.mainFields } : {}),
    ...(defaults.banner ? { banner: { js: defaults.banner } } : {}),
    minify: defaults.minify ?? false,
    sourcemap: defaults.sourceMap ?? false,
    sourcesContent: defaults.sourcesContent ?? true,
    external: [...(defaults.externalModules ?? [])],
    alias: { ...BUNDLE_ALIASES },
    logLevel: 'silent',
  });
}


function relayEnvironment(): Record<string, string> {
  const values: Partial<Record<string, string>> = { [RELAY_ENV.transmissionRetentionDays]: '90', [RELAY_ENV.contentRetentionDays]: '7', [RELAY_ENV.spamVerdictAction]: 'drop', [RELAY_ENV.bouncesPerSenderPerHour]: '10', [RELAY_ENV.rateLimits]: JSON.stringify(DEFAULT_RATE_LIMITS) };
  return Object.fromEntries(Object.values(RELAY_ENV).map((name) => [name, values[name] ?? `bench-${name}`]));
}

/**
 * One fresh process importing the module, as Lambda's runtime does at an init (with source maps on,
 * as the functions are deployed); milliseconds of the import alone.
 */
function importOnce(file: string): number {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)}); if (typeof (m.handler ?? m.default?.handler) !== 'function') process.exit(3); console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1', ...relayEnvironment() },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(out.trim().split('\n').pop());
}

export async function measureColdStart(options: { readonly quick: boolean }): Promise<ColdStart> {
  const root = mkdtempSync(join(tmpdir(), 'anshin-bench-bundle-'));
  try {
    const bundles: BundleRow[] = [];
    let relayBundle: string | undefined;
    for (const { name, entry } of lambdaEntries()) {
      const outdir = join(root, name);
      try {
        await bundle(entry, outdir);
        const file = join(outdir, 'index.mjs');
        const map = `${file}.map`;
        bundles.push({
          lambda: name,
          bytes: statSync(file).size,
          zippedBytes: deflateRawSync(readFileSync(file), { level: 9 }).length,
          ...(existsSync(map) ? { sourceMapBytes: statSync(map).size } : {}),
        });
        if (name === 'relay') relayBundle = file;
      } catch (error) {
        bundles.push({ lambda: name, error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) });
      }
    }
    if (!relayBundle) throw new Error('the relay Lambda could not be bundled');
    const peerDir = join(root, 'peer');
    await bundle(PEER_ENTRY, peerDir);
    const peerBundle = join(peerDir, 'index.mjs');
    const runs = options.quick ? 3 : 7;
    importOnce(relayBundle);
    importOnce(peerBundle);
    // Paired, one after the other, so a slow spell falls on both.
    const relayImportRunsMs: number[] = [];
    const peerImportRunsMs: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      relayImportRunsMs.push(importOnce(relayBundle));
      peerImportRunsMs.push(importOnce(peerBundle));
    }
    return {
      bundles,
      relayImportMs: median(relayImportRunsMs),
      relayImportRunsMs,
      peer: { bytes: statSync(peerBundle).size, importMs: median(peerImportRunsMs), importRunsMs: peerImportRunsMs },
      nodeVersion: process.version,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
