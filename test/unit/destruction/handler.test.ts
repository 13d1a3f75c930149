import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { captureProcessOutput } from '../../support/capture-output';
import { DATA_ENV } from '../../../lambdas/env';

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('destruction Lambda handler', () => {
  it('refuses a malformed event, logging only the name of the error', async () => {
    const env: Record<string, string> = {
      [DATA_ENV.aliasesTable]: 'aliases',
      [DATA_ENV.storesTable]: 'stores',
      [DATA_ENV.transmissionsTable]: 'transmissions',
      [DATA_ENV.accessTable]: 'access',
      [DATA_ENV.receiptsTable]: 'receipts',
      [DATA_ENV.inboundBucket]: 'inbound',
      [DATA_ENV.hmacKeyId]: 'arn:aws:kms:ap-northeast-1:111122223333:key/hmac',
      [DATA_ENV.addressKeyId]: 'arn:aws:kms:ap-northeast-1:111122223333:key/addresses',
      [DATA_ENV.userPoolId]: 'ap-northeast-1_stores',
      [DATA_ENV.receiptKeyId]: 'arn:aws:kms:ap-northeast-1:111122223333:key/receipts',
      [DATA_ENV.retentionPolicy]: JSON.stringify(DEFAULT_CONFIG.retention),
      AWS_REGION: 'ap-northeast-1',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const logged: string[] = [];
    captureProcessOutput(logged);
    const { handler } = await import('../../../lambdas/destruction/handler');
    await expect(handler({ 'detail-type': 'Customer Deletion Requested', source: 'anshin.marketplace', detail: { email: 'not an address@' } })).rejects.toThrow(
      /detail.email: events may not carry an address/,
    );
    expect(logged.join('')).toContain('DestructionRequestError');
    expect(logged.join('')).not.toContain('not an address');
  });
});
