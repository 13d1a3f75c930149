/**
 * The local stack's face for the operator CLI: where the stack listens (`endpoints.json`), an S3
 * client that speaks to s3rver, and the shapes of the control endpoint's answers. Nothing else of
 * `local/` is the CLI's business.
 */
export { readLocalEndpoints } from './endpoints';
export { localS3Client } from './s3-client';
export type { RedeliverResponse, RedeliveryAttempt, ReplayItem, ReplayResponse } from './control-server';
