import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeForReceipt } from '../../aws/invoke-for-receipt';
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

  terminate(storeId: string, requestedBy: string): Promise<Receipt> {
    // A failure reaches the caller as a 500 problem that says nothing of its cause.
    return invokeForReceipt(this.lambda, this.functionName, { action: 'terminate', storeId, requestedBy });
  }
}
