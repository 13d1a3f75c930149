import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lambdas/api/openapi';

/** Writes `docs/openapi.json`, the marketplace API's contract, from the schemas the handler validates with. */
const { version } = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };
writeFileSync(new URL('../docs/openapi.json', import.meta.url), `${JSON.stringify(openApiDocument(version), null, 2)}\n`);
