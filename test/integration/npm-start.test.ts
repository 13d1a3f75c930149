import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertPortsFree } from '../../local/listen';
import { LOCAL_PORTS, localPorts } from '../../local/stack';

/**
 * `npm start` as a person runs it in a terminal: it says when it is up, a second one on the same
 * ports names every port that is taken, and Ctrl-C (SIGINT to the whole process group, as a
 * terminal sends it) ends with `stopped.`.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Started {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function npmStart(dataDir: string, offset: number): Started {
  const child = spawn(TSX, ['local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ANSHIN_LOCAL_DIR: dataDir, ANSHIN_PORT_OFFSET: String(offset) },
    // Its own process group, so a signal can go to all of it, as a terminal's Ctrl-C does.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Started = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (chunk: Buffer) => (started.stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (started.stderr += chunk.toString('utf8')));
  return started;
}

async function until(condition: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An offset that moves every contract port onto a free one. */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const offset = 20_000 + Math.floor(Math.random() * 300) * 10;
    const free = await assertPortsFree(Object.values(localPorts(offset)).map((port) => ({ service: 'probe', port }))).then(
      () => true,
      () => false,
    );
    if (free) return offset;
  }
  throw new Error('no free port offset');
}

const dirs: string[] = [];
const running: Started[] = [];

afterAll(async () => {
  for (const started of running) if (started.child.exitCode === null && started.child.pid) process.kill(-started.child.pid, 'SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm start', () => {
  it('names every taken port when started twice, and says stopped. after Ctrl-C', { timeout: 180_000 }, async () => {
    const offset = await freeOffset();
    const [first, second] = await Promise.all([mkdtemp(join(tmpdir(), 'anshin-start-')), mkdtemp(join(tmpdir(), 'anshin-start-'))]);
    dirs.push(first, second);

    const stack = npmStart(first, offset);
    running.push(stack);
    await until(() => stack.stdout.includes('Ctrl-C stops everything.') || stack.child.exitCode !== null, 'the stack to start');
    expect(stack.stdout).toContain(`SMTP ingress  smtp://127.0.0.1:${LOCAL_PORTS.smtp + offset}`);

    const again = npmStart(second, offset);
    running.push(again);
    expect(await again.exited).toBe(1);
    expect(again.stderr).toContain(`${Object.keys(LOCAL_PORTS).length} ports are already in use`);
    for (const [name, service] of [
      ['SMTP ingress', 'smtp'],
      ['SES outbox', 'outbox'],
      ['DynamoDB Local', 'dynamodb'],
      ['S3', 's3'],
      ['KMS', 'kms'],
      ['control endpoint', 'control'],
      ['marketplace API', 'api'],
      ['merchant menu', 'menu'],
      ['Cognito', 'cognito'],
    ] as const) {
      expect(again.stderr).toContain(`${name} ${LOCAL_PORTS[service] + offset}`);
    }

    process.kill(-(stack.child.pid ?? 0), 'SIGINT');
    expect(await stack.exited).toBe(0);
    expect(stack.stdout.trimEnd().split('\n').at(-1)).toBe('stopped.');
  });
});
