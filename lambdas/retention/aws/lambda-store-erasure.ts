import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { StoreErasure } from '../ports';

/** Who the destruction function's receipt names as having asked for the erasure. */
const RETENTION_REQUESTER = 'retention';

/**
 * Asks the destruction function to erase a store, asynchronously (`Event`): the erasure can take
 * longer than the retention run has, Lambda retries it on failure, and it writes its own receipt.
 */
export class LambdaStoreErasure implements StoreErasure {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly destructionFunctionName: string,
  ) {}

  async requestErasure(storeId: string): Promise<void> {
    const payload = { action: 'destroy', subject: { kind: 'store', storeId }, requestedBy: RETENTION_REQUESTER };
    const { StatusCode } = await this.lambda.send(
      new InvokeCommand({ FunctionName: this.destructionFunctionName, InvocationType: 'Event', Payload: JSON.stringify(payload) }),
    );
    if (StatusCode !== 202) throw new Error(`the destruction function did not accept the erasure request (status ${StatusCode ?? 'none'})`);
  }
}
