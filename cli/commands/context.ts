import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localDataDir, projectRoot } from '../project-root';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { awsTarget, localTarget, TargetError } from '../target';
import type { Target } from '../target';
import type { MarketplaceApi } from '../api-client';

/** Where the CLI writes; tests pass their own to read what a person would see. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Writes as is, without a newline; given only when stderr is a terminal, for progress bars. */
  progress?(text: string): void;
  /** Asks a yes/no question; given only when a person is at a terminal to answer it. */
  confirm?(question: string): Promise<boolean>;
}

export interface GlobalOptions {
  readonly json: boolean;
  readonly target: 'local' | 'aws';
  readonly localDir?: string;
  readonly dataDir?: string;
  readonly stackName: string;
}

/** What every command group is built with: where to write, the clock, and the target once options are parsed. */
export interface CommandContext {
  readonly program: Command;
  readonly output: Output;
  readonly now: () => Date;
  /** The stack the command acts on, resolved from the global options. */
  target(): Promise<{ target: Target; options: GlobalOptions }>;
  /** Prints `value` as JSON with `--json`, otherwise the human line. */
  print(options: GlobalOptions, value: object, human: string): void;
}

export function commandContext(program: Command, output: Output, now: () => Date): CommandContext {
  return {
    program,
    output,
    now,
    target: async () => {
      const options = program.opts<GlobalOptions>();
      const resolved = options.target === 'aws' ? await awsTarget(options.stackName, await cdkContext()) : await localTarget(localDataDir(options.dataDir ?? options.localDir));
      return { target: resolved, options };
    },
    print: (options, value, human) => output.out(options.json ? JSON.stringify(value, null, 2) : human),
  };
}

async function cdkContext(): Promise<unknown> {
  try {
    const cdk = JSON.parse(await readFile(join(projectRoot(), 'cdk.json'), 'utf8')) as { context?: { anshin?: unknown } };
    return cdk.context?.anshin ?? {};
  } catch {
    return {};
  }
}

/** The marketplace API of the target; the CLI creates stores and aliases through it, as the marketplace does. */
export function apiOf(target: Target): MarketplaceApi {
  if (!target.api) {
    throw new TargetError(target.name === 'aws' ? 'the deployed stack has no ApiUrl output; deploy the current version first' : 'the local stack names no API: restart it with `npm start`');
  }
  return target.api;
}

/** One request to the target's marketplace API, with the target and options the command prints by. */
export async function callApi(context: CommandContext, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: unknown; target: Target; options: GlobalOptions }> {
  const { target, options } = await context.target();
  const answer = await apiOf(target).request(method, path, body);
  return { ...answer, target, options };
}

/** The marketplace API's largest page. */
const API_PAGE_LIMIT = 100;

/**
 * Up to `limit` items of a listing of the marketplace API, page after page; `more` says whether
 * the listing went on past them.
 */
export async function listFromApi<T>(context: CommandContext, path: string, field: string, limit: number): Promise<{ items: T[]; more: boolean; options: GlobalOptions }> {
  const { target, options } = await context.target();
  const api = apiOf(target);
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(Math.min(API_PAGE_LIMIT, limit - items.length)), ...(cursor === undefined ? {} : { cursor }) });
    const { body } = await api.request('GET', `${path}?${query.toString()}`);
    const page = body as Record<string, unknown> & { nextCursor?: string };
    items.push(...((page[field] ?? []) as T[]));
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < limit);
  return { items, more: cursor !== undefined, options };
}

/** Collects a repeatable option into a list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A day in Japan time, `YYYY-MM-DD`. */
export function japanDayOption(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new InvalidArgumentError('must be a day, YYYY-MM-DD (Japan time)');
  return value;
}

export function instant(value: string): Date {
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(parsed.getTime())) throw new InvalidArgumentError('must be an ISO 8601 instant, e.g. 2027-06-01T00:00:00Z');
  return parsed;
}

/** Irreversible commands go ahead only with `--yes` or a person's answer at a terminal. */
export async function confirmed(output: Output, yes: boolean, question: string): Promise<void> {
  if (yes) return;
  if (!output.confirm) throw new TargetError('this cannot be undone: add --yes to confirm when not at a terminal');
  if (!(await output.confirm(question))) throw new TargetError('cancelled; nothing was changed');
}
