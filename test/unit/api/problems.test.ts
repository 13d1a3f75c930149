import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { AliasNotFoundError } from '../../../lambdas/aliases/administration';
import { AliasConflictError } from '../../../lambdas/aliases/issuance';
import { AliasRetiredError } from '../../../lambdas/aliases/names';
import { InvalidRequestError, StoreNotFoundError, StoreTerminatedError } from '../../../lambdas/aliases/stores';
import { IdempotencyKeyReusedError } from '../../../lambdas/api/idempotency';
import { problemOf } from '../../../lambdas/api/problems';
import { requesterOf } from '../../../lambdas/api/requester';
import { AliasBody } from '../../../lambdas/api/schemas';

describe('problemOf', () => {
  it.each<[string, Error, number]>([
    ['a store that does not exist', new StoreNotFoundError('store x does not exist'), 404],
    ['an alias that does not exist', new AliasNotFoundError('no alias c-x'), 404],
    ['a terminated store', new StoreTerminatedError('store x was terminated'), 409],
    ['a retired alias', new AliasRetiredError('alias c-x was issued before and has been retired'), 409],
    ['an order of another customer', new AliasConflictError('order 1 of store x already has an alias for another customer'), 409],
    ['a reused Idempotency-Key', new IdempotencyKeyReusedError('reused'), 422],
  ])('answers %s with %i', (_label, error, status) => {
    expect(problemOf(error)).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: error.message });
  });

  it("names the domain's field as the API calls it", () => {
    expect(problemOf(new InvalidRequestError('customer is not a valid e-mail address', 'customer'))['invalid-params']).toEqual([
      { name: 'customerEmail', reason: 'customer is not a valid e-mail address' },
    ]);
  });

  it('names every field of a failed schema check without echoing what was given', () => {
    let error: unknown;
    try {
      AliasBody.parse({ storeId: 'shop 1', orderId: 'A-1', customerEmail: 'taro at example.com' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ZodError);
    const problem = problemOf(error);
    expect(problem.status).toBe(400);
    expect(problem['invalid-params']?.map((param) => param.name)).toEqual(['storeId', 'customerEmail']);
    expect(JSON.stringify(problem)).not.toContain('taro at example.com');
  });

  it('says nothing of an unexpected error', () => {
    const problem = problemOf(new Error('could not decrypt taro@example.com'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('taro');
  });
});

describe('requesterOf', () => {
  const event = (userArn: string | null) => ({ requestContext: { identity: { userArn, caller: 'AROAEXAMPLE' } } }) as unknown as Parameters<typeof requesterOf>[0];

  it('names the IAM principal SigV4 proved', () => {
    expect(requesterOf(event('arn:aws:sts::210987654321:assumed-role/marketplace-orders/session-1'))).toBe('api:arn:aws:sts::210987654321:assumed-role/marketplace-orders/session-1');
  });

  it('keeps an e-mail address used as a session name out of the receipt', () => {
    expect(requesterOf(event('arn:aws:sts::210987654321:assumed-role/ops/taro@example.com'))).toBe('api:arn:aws:sts::210987654321:assumed-role/ops/taro_example.com');
  });
});
