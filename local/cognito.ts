import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { LOOPBACK, reservePort } from './listen';
import type { LocalLog } from './log';

export interface LocalCognito {
  readonly url: string;
  readonly userPoolId: string;
  readonly clientId: string;
  close(): Promise<void>;
}

export interface LocalCognitoOptions {
  /** Where cognito-local keeps its pools and users (`<directory>/.cognito`). */
  readonly directory: string;
  readonly port: number;
  readonly region: string;
  readonly log: LocalLog;
}

const POOL_NAME = 'anshin-stores';
const CLIENT_NAME = 'anshin-menu';
const STARTUP_MS = 15_000;

/**
 * cognito-local (the Cognito user pool API on loopback) as a child process, with the stores' pool
 * and the menu's app client in it. It reads its settings from `.cognito/config.json` in its working
 * directory, so each stack gets its own directory. Where it falls short of Cognito: it took any
 * password for an account that must still change its temporary one (filled in
 * `cognito-local-process.mjs`); it does not enforce a pool's password policy (the menu checks it
 * too); it answers a wrong password with `InvalidPasswordException`, not `NotAuthorizedException`
 * (the menu's adapter reads both as a wrong password). Its default pool
 * takes e-mail addresses as usernames; the stores' pool, as in AWS, takes the store ID.
 */
/**
 * A free port is reserved and then handed to the child, which binds it a moment later; when stacks
 * start side by side another process can take it in between, and the child exits. On a port of
 * its own choosing the start is tried again, on a new port.
 */
export async function startLocalCognito(options: LocalCognitoOptions): Promise<LocalCognito> {
  const attempts = options.port ? 1 : 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof Error) || !error.message.startsWith('cognito-local exited')) throw error;
    }
  }
}

async function startOnce(options: LocalCognitoOptions): Promise<LocalCognito> {
  const port = await reservePort('Cognito (cognito-local)', options.port);
  await mkdir(join(options.directory, '.cognito'), { recursive: true });
  await writeFile(join(options.directory, '.cognito', 'config.json'), `${JSON.stringify({ ServerConfig: { port, hostname: LOOPBACK }, UserPoolDefaults: { UsernameAttributes: [] } }, null, 2)}\n`);
  const start = fileURLToPath(new URL('./cognito-local-process.mjs', import.meta.url));
  const child = spawn(process.execPath, [start], { cwd: options.directory, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout.resume();
  child.stderr.resume();
  const url = `http://${LOOPBACK}:${port}`;
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForHealth(url, child);
    const client = new CognitoIdentityProviderClient({ region: options.region, endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { userPoolId, clientId } = await ensurePool(client);
      options.log('cognito_started', { url, userPoolId });
      return { url, userPoolId, clientId, close };
    } finally {
      client.destroy();
    }
  } catch (error) {
    await close();
    throw error;
  }
}

async function waitForHealth(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`cognito-local did not answer on ${url} within ${STARTUP_MS} ms`);
}

/** The pool and client of an earlier run (a persistent stack), or new ones as the CDK stack defines them. */
async function ensurePool(client: CognitoIdentityProviderClient): Promise<{ userPoolId: string; clientId: string }> {
  const { UserPools } = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let userPoolId = UserPools?.find((pool) => pool.Name === POOL_NAME)?.Id;
  if (!userPoolId) {
    const { UserPool } = await client.send(
      new CreateUserPoolCommand({
        PoolName: POOL_NAME,
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7 } },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'OPTIONAL',
      }),
    );
    userPoolId = UserPool?.Id ?? '';
  }
  const { UserPoolClients } = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  let clientId = UserPoolClients?.find((app) => app.ClientName === CLIENT_NAME)?.ClientId;
  if (!clientId) {
    const { UserPoolClient } = await client.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: CLIENT_NAME, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'], GenerateSecret: false }),
    );
    clientId = UserPoolClient?.ClientId ?? '';
  }
  return { userPoolId, clientId };
}
