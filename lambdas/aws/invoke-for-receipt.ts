import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Receipt } from '../records/receipts';

/** The invoked function failed; the message names it and the error type it reported. */
export class FunctionFailedError extends Error {
  override readonly name = 'FunctionFailedError';
}

/** Invokes a data function (destruction, retention) and waits for the receipt it answers with. */
export async function invokeForReceipt(lambda: LambdaClient, functionName: string, payload: object): Promise<Receipt> {
  return invokeForResult<Receipt>(lambda, functionName, payload);
}

/** Invokes a function and waits for its answer; a function error becomes {@link FunctionFailedError}. */
export async function invokeForResult<T>(lambda: LambdaClient, functionName: string, payload: object): Promise<T> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) }));
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) {
    const parsed = (() => {
      try {
        return JSON.parse(text) as { errorType?: string; errorMessage?: string };
      } catch {
        return {};
      }
    })();
    throw new FunctionFailedError(`${functionName} failed: ${parsed.errorType ?? response.FunctionError}: ${parsed.errorMessage ?? 'no message'}`);
  }
  return JSON.parse(text) as T;
}
