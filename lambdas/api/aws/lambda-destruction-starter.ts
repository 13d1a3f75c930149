import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Receipt } from '../../records/receipts';
import type { DestructionStarter } from '../ports';

/**
 * Hands deletion requests to the destruction function: asynchronously (the API answers 202 and the
 * function marks the request done with its receipt), and terminations synchronously, for their receipt.
 */
export class LambdaDestructionStarter implements DestructionStarter {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async start(request: Parameters<DestructionStarter['start']>[0]): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ action: 'destroy', subject: request.subject, requestedBy: request.requestedBy, requestId: request.requestId })),
      }),
    );
  }

  async terminate(storeId: string, requestedBy: string): Promise<Receipt> {
    const { Payload, FunctionError } = await this.lambda.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify({ action: 'terminate', storeId, requestedBy })) }),
    );
    // The function's error is named only: its message could quote what it was given.
    if (FunctionError) throw new Error(`the destruction function failed (${FunctionError})`);
    return JSON.parse(Buffer.from(Payload ?? new Uint8Array()).toString('utf8')) as Receipt;
  }
}
