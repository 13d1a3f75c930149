import { describe, expect, it } from 'vitest';
import { DestructionRequestError, parseDestructionEvent } from '../../../lambdas/destruction/request';
import { handleDestructionEvent } from '../../../lambdas/destruction/app';
import type { Destruction } from '../../../lambdas/destruction/app';
import type { Receipt } from '../../../lambdas/records/receipts';
import { DESTRUCTION_EVENT_TYPES, MARKETPLACE_EVENT_SOURCE } from '../../../lambdas/destruction/events';

function eventBridge(detailType: string, detail: unknown, source: string = MARKETPLACE_EVENT_SOURCE) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source,
    account: '111122223333',
    time: '2026-05-01T00:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail,
  };
}

describe('destruction function events', () => {
  it('reads direct invocations', () => {
    expect(parseDestructionEvent({ action: 'destroy', subject: { kind: 'store', storeId: 'demo-shop' }, requestedBy: 'retention' })).toEqual({
      action: 'destroy',
      subject: { kind: 'store', storeId: 'demo-shop' },
      requestedBy: 'retention',
    });
    expect(parseDestructionEvent({ action: 'destroy', subject: { kind: 'customer', email: ' Taro@Example.COM' }, requestedBy: 'cli' })).toEqual({
      action: 'destroy',
      subject: { kind: 'customer', email: 'taro@example.com' },
      requestedBy: 'cli',
    });
    expect(parseDestructionEvent({ action: 'destroy', subject: { kind: 'customer', alias: 'c-7k2m9p4q8r3s@relay.example.jp' }, requestedBy: 'cli' })).toEqual({
      action: 'destroy',
      subject: { kind: 'customer', alias: 'c-7k2m9p4q8r3s@relay.example.jp' },
      requestedBy: 'cli',
    });
    expect(parseDestructionEvent({ action: 'terminate', storeId: 'demo-shop', requestedBy: 'cli' })).toEqual({ action: 'terminate', storeId: 'demo-shop', requestedBy: 'cli' });
  });

  it("reads the marketplace's EventBridge events, naming the event as requester", () => {
    expect(parseDestructionEvent(eventBridge(DESTRUCTION_EVENT_TYPES.storeTerminated, { storeId: 'demo-shop' }))).toEqual({
      action: 'terminate',
      storeId: 'demo-shop',
      requestedBy: 'event:Store Terminated',
    });
    expect(parseDestructionEvent(eventBridge(DESTRUCTION_EVENT_TYPES.customerDeletionRequested, { alias: 'c-7k2m9p4q8r3s' }))).toEqual({
      action: 'destroy',
      subject: { kind: 'customer', alias: 'c-7k2m9p4q8r3s' },
      requestedBy: 'event:Customer Deletion Requested',
    });
  });

  it.each([
    ['not an object', 'destroy', /JSON object/],
    ['an unknown action', { action: 'erase', storeId: 'demo-shop', requestedBy: 'cli' }, /action must be/],
    ['no requester', { action: 'terminate', storeId: 'demo-shop' }, /requestedBy/],
    ['a requester holding an address', { action: 'terminate', storeId: 'demo-shop', requestedBy: 'ops@example.com' }, /requestedBy/],
    ['a bad store ID', { action: 'terminate', storeId: '../etc', requestedBy: 'cli' }, /storeId/],
    ['an unknown subject kind', { action: 'destroy', subject: { kind: 'order', orderId: '1' }, requestedBy: 'cli' }, /subject.kind/],
    ['another source', eventBridge(DESTRUCTION_EVENT_TYPES.storeTerminated, { storeId: 'demo-shop' }, 'aws.s3'), /anshin.marketplace/],
    ['another detail-type', eventBridge('Order Shipped', { storeId: 'demo-shop' }), /detail-type must be/],
    ['a detail without the store', eventBridge(DESTRUCTION_EVENT_TYPES.storeTerminated, {}), /detail.storeId/],
    ['a detail without the alias', eventBridge(DESTRUCTION_EVENT_TYPES.customerDeletionRequested, {}), /detail.alias/],
    ['an alias that is no name', eventBridge(DESTRUCTION_EVENT_TYPES.customerDeletionRequested, { alias: 'c-1 OR 1=1' }), /detail.alias/],
    ['a subject with both an address and an alias', { action: 'destroy', subject: { kind: 'customer', email: 'taro@example', alias: 'c-7k2m9p4q8r3s' }, requestedBy: 'cli' }, /subject.email/],
  ])('refuses %s', (_what, event, message) => {
    expect(() => parseDestructionEvent(event)).toThrow(DestructionRequestError);
    expect(() => parseDestructionEvent(event)).toThrow(message);
  });

  it('refuses an event that carries an address, valid or not, and never quotes it', () => {
    for (const email of ['taro@example.com', 'taro@@example.com', 'taro example.com']) {
      const attempt = () => parseDestructionEvent(eventBridge(DESTRUCTION_EVENT_TYPES.customerDeletionRequested, { email, alias: 'c-7k2m9p4q8r3s' }));
      expect(attempt).toThrow(/detail.email: events may not carry an address/);
      expect(attempt).not.toThrow(/taro/);
    }
  });

  it('never quotes a rejected address', () => {
    for (const email of ['taro@@example.com', 'taro@example', 'taro example.com']) {
      const attempt = () => parseDestructionEvent({ action: 'destroy', subject: { kind: 'customer', email }, requestedBy: 'cli' });
      expect(attempt).toThrow(/subject.email is not a valid e-mail address/);
      expect(attempt).not.toThrow(/taro/);
    }
  });

  it('hands each request to destroy or terminate and returns the receipt', async () => {
    const calls: unknown[][] = [];
    const receipt = { kind: 'destruction' } as Receipt;
    const destruction: Destruction = {
      destroy: async (...args) => {
        calls.push(['destroy', ...args]);
        return receipt;
      },
      terminate: async (...args) => {
        calls.push(['terminate', ...args]);
        return receipt;
      },
    };
    await expect(handleDestructionEvent(destruction, eventBridge(DESTRUCTION_EVENT_TYPES.customerDeletionRequested, { alias: 'c-7k2m9p4q8r3s' }))).resolves.toBe(receipt);
    await handleDestructionEvent(destruction, { action: 'terminate', storeId: 'demo-shop', requestedBy: 'cli' });
    expect(calls).toEqual([
      ['destroy', { kind: 'customer', alias: 'c-7k2m9p4q8r3s' }, 'event:Customer Deletion Requested'],
      ['terminate', 'demo-shop', 'cli'],
    ]);
    await expect(handleDestructionEvent(destruction, {})).rejects.toThrow(DestructionRequestError);
  });
});
