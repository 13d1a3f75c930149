import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { destroySubject, FunctionFailedError, runRetention, terminateStore } from '../../../cli/data-lifecycle';
import type { Target } from '../../../cli/target';
import { DEFAULT_CONFIG } from '../../../lib/config';

const lambdaMock = mockClient(LambdaClient);
const NOW = () => new Date('2026-11-24T12:00:00Z');

/** A deployed target as far as these commands reach: they only invoke the functions. */
const target = { name: 'aws', config: DEFAULT_CONFIG, functions: { lambda: new LambdaClient({ region: 'ap-northeast-1' }), retention: 'retention-fn', destruction: 'destruction-fn' } } as unknown as Target;

// The SDK wraps payload bytes in a blob adapter; the code under test reads them as bytes.
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as NonNullable<InvokeCommandOutput['Payload']>;
const payloadOf = (payload: unknown): unknown => JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload as Uint8Array));

afterEach(() => lambdaMock.reset());

describe('data lifecycle commands on AWS', () => {
  it('invoke the destruction function synchronously with the request, and return its receipt', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ kind: 'destruction', receiptId: 'r-1' }) });
    await expect(destroySubject(target, { kind: 'customer', email: 'taro@example.com' }, NOW)).resolves.toMatchObject({ receiptId: 'r-1' });
    await terminateStore(target, 'demo-shop', NOW);
    const calls = lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.FunctionName, input.InvocationType, payloadOf(input.Payload)])).toEqual([
      ['destruction-fn', 'RequestResponse', { action: 'destroy', subject: { kind: 'customer', email: 'taro@example.com' }, requestedBy: 'cli' }],
      ['destruction-fn', 'RequestResponse', { action: 'terminate', storeId: 'demo-shop', requestedBy: 'cli' }],
    ]);
  });

  it('pass --now to the retention function, which decides whether it may', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ kind: 'retention' }) });
    await runRetention(target, NOW, new Date('2026-11-01T00:00:00Z'));
    const input = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(payloadOf(input.Payload)).toEqual({ requestedBy: 'cli', now: '2026-11-01T00:00:00.000Z' });
  });

  it("turn a function error into one line naming the function and the error, never a receipt", async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'RetentionRequestError', errorMessage: 'now is later than this function’s clock' }),
    });
    const run = runRetention(target, NOW, new Date('2027-01-01T00:00:00Z'));
    await expect(run).rejects.toThrow(FunctionFailedError);
    await expect(run).rejects.toThrow(/retention-fn failed: RetentionRequestError: now is later/);
  });
});
