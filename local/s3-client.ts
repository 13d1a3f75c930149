import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * An S3 client for the local stack's s3rver, which understands neither bucket subdomains nor the
 * SDK's default flexible checksums.
 */
export function localS3Client(config: Pick<S3ClientConfig, 'region' | 'credentials'> & { readonly endpoint: string }): S3Client {
  return new S3Client({ ...config, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}
