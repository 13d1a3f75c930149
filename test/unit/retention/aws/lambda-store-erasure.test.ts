import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaStoreErasure } from '../../../../lambdas/retention/aws/lambda-store-erasure';

const lambda = mockClient(LambdaClient);

afterEach(() => lambda.reset());

describe('LambdaStoreErasure', () => {
  it('invokes the destruction function asynchronously with a store destruction request from retention', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await new LambdaStoreErasure(new LambdaClient({ region: 'ap-northeast-1' }), 'anshin-destruction').requestErasure('closed-shop');
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'anshin-destruction', InvocationType: 'Event' });
    expect(JSON.parse(String(input.Payload))).toEqual({ action: 'destroy', subject: { kind: 'store', storeId: 'closed-shop' }, requestedBy: 'retention' });
  });

  it('fails when Lambda does not accept the event', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 500 });
    await expect(new LambdaStoreErasure(new LambdaClient({ region: 'ap-northeast-1' }), 'anshin-destruction').requestErasure('closed-shop')).rejects.toThrow(/did not accept/);
  });
});
