import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from 'zod-openapi';
import { ROUTES } from './routes';
import type { Route } from './routes';
import { Problem } from './schemas';

/** Media type of every error answer (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'The request is malformed; `invalid-params` names each field at fault',
  403: 'The request is not signed (SigV4, service `execute-api`) by a principal the API admits',
  404: 'No such store, sender, alias or request',
  409: 'It conflicts with what is stored (a terminated store, a retired alias, an order of another customer)',
  422: 'The Idempotency-Key was used before with another body',
};

function operation(route: Route): ZodOpenApiOperationObject {
  const { success } = route;
  const ok = success.body ? { description: 'Done', content: { 'application/json': { schema: success.body } } } : { description: 'Done' };
  const problems = [400, 403, ...route.problems].map((status) => [
    String(status),
    { description: PROBLEM_TITLES[status] ?? 'Problem', content: { [PROBLEM_JSON]: { schema: Problem } } },
  ]);
  return {
    operationId: route.operationId,
    summary: route.summary,
    security: [{ sigv4: [] }],
    requestParams: {
      ...(Object.keys(route.pathParameters).length > 0 ? { path: z.object(route.pathParameters) } : {}),
      ...(route.queryParameters ? { query: z.object(route.queryParameters) } : {}),
      ...(route.idempotent ? { header: z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional().meta({ description: 'Repeats of a request with the same key and body get the same answer.' }) }) } : {}),
    },
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: {
      [String(success.status)]: ok,
      ...(success.alsoStatus ? { [String(success.alsoStatus)]: { ...ok, description: 'It already was so' } } : {}),
      ...Object.fromEntries(problems),
    },
  };
}

/** The marketplace API's OpenAPI 3.1 document, generated from the routes and schemas the handler uses. */
export function openApiDocument(version: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly Route[]) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'anshin-relay marketplace API',
      version,
      description:
        'Stores, aliases, termination and deletion for the marketplace. Every request is signed with AWS Signature Version 4 (service `execute-api`, region ap-northeast-1) by a principal the API admits; no answer, log line or error ever holds a real address.',
    },
    servers: [{ url: 'https://{restApiId}.execute-api.ap-northeast-1.amazonaws.com/{stage}', variables: { restApiId: { default: 'example' }, stage: { default: 'v1' } } }],
    components: { securitySchemes: { sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM), service execute-api.' } } },
    paths,
  });
}
