import type { Receipt } from '../records/receipts';

/** Carries out a deletion request: on AWS the destruction function, invoked without waiting for it. */
export interface DestructionStarter {
  start(request: {
    readonly requestId: string;
    readonly subject: { readonly kind: 'store'; readonly storeId: string } | { readonly kind: 'customer'; readonly email: string } | { readonly kind: 'customer'; readonly alias: string };
    readonly requestedBy: string;
  }): Promise<void>;
  /** Terminates a store and answers the termination receipt. */
  terminate(storeId: string, requestedBy: string): Promise<Receipt>;
}
