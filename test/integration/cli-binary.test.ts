import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayHarness } from './support/relay-harness';

/**
 * The operator CLI as a person runs it: the real `bin/anshin.js` in its own process, against the
 * local stack, read by its exit code, its standard output and its standard error. A user's mistake
 * is one line saying what to do, never a stack trace.
 */

const BINARY = fileURLToPath(new URL('../../bin/anshin.js', import.meta.url));
const STACK_TRACE = /^\s+at /m;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let relay: RelayHarness;

/** `anshin <args>` against the test's local stack (or `dir`), with no AWS credentials in reach. */
function anshin(args: readonly string[], dir = relay.dir): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', TZ: 'Asia/Tokyo' };
  return new Promise((resolve) => {
    execFile(process.execPath, [BINARY, '--local-dir', dir, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  relay = await RelayHarness.start();
  // Created through the binary itself, before any test, so each test finds them whatever the order.
  for (const [id, name] of [
    ['bin-shop-b', '安心商店'],
    ['bin-shop-a', 'Shop A'],
  ] as const) {
    const created = await anshin(['store', 'create', '--store-id', id, '--name', name, '--contact', `owner@${id}.example`, '--sender', `news@${id}.example`]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
  }
}, 120_000);

afterAll(async () => {
  await relay?.stop();
});

describe('the anshin binary', () => {
  it('prints its version, from package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await anshin(['--version']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim()).toBe(version);
  });

  it('lists stores as an aligned table, a Japanese name taking two columns a character', async () => {
    const run = await anshin(['store', 'list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^store\s+name\s+status\s+paused\s+own limits$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['bin-shop-a', 'bin-shop-b']);
    // The status column starts at the same terminal column on every row.
    const statusColumn = (line: string): number => {
      const at = line.search(/active|status/);
      return [...line.slice(0, at)].reduce((width, character) => width + (/[\u3000-\u9fff]/.test(character) ? 2 : 1), 0);
    };
    expect(new Set(lines.map(statusColumn)).size).toBe(1);
    expect(run.stdout).not.toContain('@');

    const json = await anshin(['--json', 'store', 'list', '--limit', '1']);
    expect(JSON.parse(json.stdout)).toEqual([{ storeId: 'bin-shop-a', displayName: 'Shop A', status: 'active' }]);
  });

  it("lists a store's aliases newest first, and says when it has none", async () => {
    expect((await anshin(['alias', 'list', '--store-id', 'bin-shop-a'])).stdout.trim()).toBe('store bin-shop-a has no aliases');
    for (const order of ['B-1', 'B-2']) {
      expect((await anshin(['alias', 'issue', '--store-id', 'bin-shop-a', '--order-id', order, '--customer', `${order.toLowerCase()}@example.com`])).code).toBe(0);
    }
    const run = await anshin(['alias', 'list', '--store-id', 'bin-shop-a']);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^alias\s+order\s+status\s+expires$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[1])).toEqual(['B-2', 'B-1']);
    expect(rows[1]).toMatch(/^c-[0-9a-z]{12}\s+B-2\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(run.stdout).not.toContain('example.com');
  });

  it.each([
    [['transmissions', 'list', '--limit', 'abc'], /option '--limit <n>' argument 'abc' is invalid/],
    [['transmissions', 'list', '--limit', '0'], /is invalid/],
    [['store', 'terminate', '--store-id', 'no-such-shop', '--yes'], /^anshin: .*no-such-shop/],
    [['alias', 'list', '--store-id', 'no-such-shop'], /^anshin: .*no-such-shop/],
    [['store', 'show', '--store-id', 'bad id!'], /^anshin: /],
    [['--target', 'aws', 'store', 'list'], /^anshin: no AWS credentials were found/],
  ])('answers `anshin %s` with one line on standard error, a non-zero exit and no stack trace', async (args, message) => {
    const run = await anshin(args);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('says the local stack is gone when its endpoints.json outlived it, and shows the trace only with --debug', async () => {
    const stale = await mkdtemp(join(tmpdir(), 'anshin-stale-'));
    try {
      const endpoints = JSON.parse(await readFile(join(relay.dir, 'endpoints.json'), 'utf8')) as Record<string, unknown>;
      // Every endpoint of the copy points at a port nothing listens on.
      const port = await closedPort();
      await writeFile(join(stale, 'endpoints.json'), JSON.stringify(endpoints).replace(/127\.0\.0\.1:\d+/g, `127.0.0.1:${port}`));
      const run = await anshin(['store', 'list'], stale);
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe('anshin: the local stack does not answer (its endpoints.json is left from a stack that stopped): start it with `npm start`');
      const debug = await anshin(['--debug', 'store', 'list'], stale);
      expect(debug.stderr).toMatch(STACK_TRACE);
    } finally {
      await rm(stale, { recursive: true, force: true });
    }
  });
});
