import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument, PROBLEM_JSON } from '../../../lambdas/api/openapi';
import { ROUTES } from '../../../lambdas/api/routes';
import type { Route } from '../../../lambdas/api/routes';
import { AliasBody, DeletionRequestBody, StoreBody } from '../../../lambdas/api/schemas';

const committed = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as ReturnType<typeof openApiDocument>;
const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('the OpenAPI document', () => {
  it('is what the schemas generate (run `npm run openapi` after changing them)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument(version))));
  });

  it('is OpenAPI 3.1 with every operation signed and every error a problem+json', () => {
    expect(committed.openapi).toBe('3.1.0');
    for (const route of ROUTES as readonly Route[]) {
      const operation = committed.paths?.[route.path]?.[route.method.toLowerCase() as 'get'];
      expect(operation?.operationId).toBe(route.operationId);
      expect(operation?.security).toEqual([{ sigv4: [] }]);
      for (const status of ['400', '403', ...route.problems.map(String)]) expect(Object.keys(operation?.responses?.[status]?.content ?? {})).toEqual([PROBLEM_JSON]);
    }
  });
});

describe('the request schemas', () => {
  it('take a well-formed alias request, and name the field at fault in one that is not', () => {
    expect(AliasBody.safeParse({ storeId: 'shop-1', orderId: 'A:1', customerEmail: 'taro@例え.jp' }).success).toBe(true);
    const bad = AliasBody.safeParse({ storeId: 'shop 1', orderId: 'A-1', customerEmail: 'nope' });
    expect(bad.success ? [] : bad.error.issues.map((issue) => issue.path.join('.'))).toEqual(['storeId', 'customerEmail']);
    expect(AliasBody.safeParse({ storeId: 'shop-1', orderId: 'A-1', customerEmail: 'taro@example.com', extra: 1 }).success).toBe(false);
  });

  it('need at least one sender for a store, and exactly one subject for a deletion', () => {
    expect(StoreBody.safeParse({ contact: 'owner@shop.example', senders: [] }).success).toBe(false);
    expect(DeletionRequestBody.safeParse({ storeId: 'shop-1' }).success).toBe(true);
    expect(DeletionRequestBody.safeParse({ storeId: 'shop-1', customerEmail: 'taro@example.com' }).success).toBe(false);
    expect(DeletionRequestBody.safeParse({}).success).toBe(false);
  });
});
