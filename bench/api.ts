import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RelayClients } from '../lambdas/relay/app';
import { MarketplaceApi } from '../cli/api-client';
import { LOCAL_CREDENTIALS, startLocalStack } from '../local/stack';
import { median, percentile } from './support/timing';
import { UNREACHABLE_RATE_LIMITS } from '../lambdas/relay/rate-limits';

/**
 * `POST /aliases` through the local marketplace API, as a marketplace's order system calls it:
 * signed requests over a number of concurrent connections, each for a new order. Counts the AWS calls
 * the API function makes per issued alias with a middleware on its clients.
 */

export interface ApiThroughput {
  readonly requests: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** SDK calls of the API function per issued alias, by service and command. */
  readonly callsPerAlias: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: (next: (args: object) => Promise<unknown>, context: { commandName?: string }) => (args: object) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
  };
}

export async function measureApi(options: { readonly requests: number; readonly concurrency: number }): Promise<ApiThroughput> {
  const dataDir = await mkdtemp(join(tmpdir(), 'anshin-bench-api-'));
  const stack = await startLocalStack({ dataDir, log: () => undefined, rateLimits: UNREACHABLE_RATE_LIMITS });
  const counts: Record<string, Record<string, number>> = {};
  let counting = false;
  for (const service of ['dynamodb', 'kms'] as const satisfies readonly (keyof RelayClients)[]) {
    (stack.clients[service] as unknown as MiddlewareHost).middlewareStack.add(
      (next, context) => async (args) => {
        if (counting) {
          const perService = (counts[service] ??= {});
          const command = context.commandName ?? 'unknown';
          perService[command] = (perService[command] ?? 0) + 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchCountApiCalls' },
    );
  }
  try {
    const api = new MarketplaceApi(stack.endpoints.api, stack.endpoints.region, async () => ({ ...LOCAL_CREDENTIALS }));
    await api.request('PUT', '/stores/bench-shop', { displayName: 'ベンチ商店', contact: 'owner@bench.example', senders: ['news@bench.example'] });
    // Warms the function's code paths and the clients' connections.
    for (let i = 0; i < 20; i += 1) await api.request('POST', '/aliases', { storeId: 'bench-shop', orderId: `warm-${i}`, customerEmail: `warm${i}@example.com` });

    counting = true;
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let i = next++; i < options.requests; i = next++) {
          const t0 = performance.now();
          await api.request('POST', '/aliases', { storeId: 'bench-shop', orderId: `order-${i}`, customerEmail: `customer${i}@example.com` }, { 'Idempotency-Key': `order-${i}` });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    counting = false;
    const callsPerAlias = Object.fromEntries(
      Object.entries(counts).map(([service, commands]) => [service, Object.fromEntries(Object.entries(commands).map(([command, n]) => [command, n / options.requests]))]),
    );
    return {
      requests: options.requests,
      concurrency: options.concurrency,
      requestsPerSecond: options.requests / seconds,
      p50Ms: median(latencies),
      p99Ms: percentile(latencies, 0.99),
      callsPerAlias,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
