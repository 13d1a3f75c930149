import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * Who asked, as receipts name it: `api:` and the IAM principal API Gateway authenticated (its ARN
 * as SigV4 proved it), with anything a receipt may not hold replaced, so a session name that is an
 * e-mail address does not end up in the evidence.
 */
export function requesterOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  const principal = event.requestContext.identity.userArn ?? event.requestContext.identity.caller ?? 'unknown';
  return `api:${principal.replace(/[^A-Za-z0-9 ._:/+=,-]/g, '_')}`.slice(0, 256);
}
