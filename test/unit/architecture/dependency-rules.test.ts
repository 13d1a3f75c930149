import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise } from 'dependency-cruiser';
import type { IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

/**
 * The rules of `.dependency-cruiser.cjs` (run over the project by `npm run arch` in `npm test`),
 * each shown failing on a small tree that breaks it and passing on one that keeps it.
 */

const require = createRequire(import.meta.url);
const { forbidden } = require('../../../.dependency-cruiser.cjs') as { forbidden: IForbiddenRuleType[] };

type Tree = Readonly<Record<string, string>>;

async function violations(tree: Tree): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'anshin-arch-'));
  try {
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const roots = [...new Set(Object.keys(tree).map((path) => path.split('/')[0] ?? path))];
    const result = await cruise(roots, { baseDir: dir, ruleSet: { forbidden }, validate: true, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } });
    if (typeof result.output === 'string') throw new Error('expected a cruise result, not text');
    return result.output.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} -> ${violation.to}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const s3 = "import { S3Client } from '@aws-sdk/client-s3';\nexport const client = new S3Client({});\n";

describe('the dependency rules', () => {
  it('pass a tree laid out as the project is', async () => {
    expect(
      await violations({
        'lambdas/relay/ports.ts': 'export interface Mailer { send(): Promise<void> }\n',
        'lambdas/relay/relay.ts': "import type { Mailer } from './ports';\nexport const relay = (mailer: Mailer) => mailer.send();\n",
        'lambdas/relay/aws/ses-mailer.ts': `${s3}import type { Mailer } from '../ports';\nexport const mailer: Mailer = { send: async () => undefined };\n`,
        'lambdas/aliases/aws/store.ts': `import { helper } from '../../aws/helper';\n${s3}export const store = helper;\n`,
        'lambdas/aws/helper.ts': 'export const helper = 1;\n',
        'lambdas/relay/app.ts': "import { relay } from './relay';\nimport { mailer } from './aws/ses-mailer';\nimport { store } from '../aliases/aws/store';\nexport const run = () => [relay(mailer), store];\n",
        'cli/main.ts': "import { face } from '../local';\nexport const main = face;\n",
        'local/index.ts': "export { face } from './inner';\n",
        'local/inner.ts': 'export const face = 1;\n',
      }),
    ).toEqual([]);
  });

  it.each<[string, Tree, string]>([
    ['an SDK in a pure module', { 'lambdas/relay/screening.ts': s3 }, 'sdk-only-in-adapters: lambdas/relay/screening.ts -> @aws-sdk/client-s3'],
    [
      'a pure module importing an adapter',
      { 'lambdas/relay/relay.ts': "import { client } from './aws/ses';\nexport const x = client;\n", 'lambdas/relay/aws/ses.ts': 'export const client = 1;\n' },
      'domain-without-adapters: lambdas/relay/relay.ts -> lambdas/relay/aws/ses.ts',
    ],
    [
      "one context's adapter reaching into another's aws/ folder",
      { 'lambdas/destruction/aws/x.ts': "import { store } from '../../aliases/aws/store';\nexport const x = store;\n", 'lambdas/aliases/aws/store.ts': 'export const store = 1;\n' },
      'adapters-stay-in-their-context: lambdas/destruction/aws/x.ts -> lambdas/aliases/aws/store.ts',
    ],
    [
      'an import circle of type imports',
      { 'lambdas/feedback/a.ts': "import type { B } from './b';\nexport type A = B[];\n", 'lambdas/feedback/b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n" },
      'no-circular: lambdas/feedback/a.ts -> lambdas/feedback/b.ts',
    ],
    [
      'runtime code depending on the local stack',
      { 'lambdas/relay/relay.ts': "import { stack } from '../../local/stack';\nexport const x = stack;\n", 'local/stack.ts': 'export const stack = 1;\n' },
      'runtime-stands-alone: lambdas/relay/relay.ts -> local/stack.ts',
    ],
    [
      'the CDK app reading an adapter',
      { 'lib/stack.ts': "import { client } from '../lambdas/relay/aws/ses';\nexport const x = client;\n", 'lambdas/relay/aws/ses.ts': 'export const client = 1;\n' },
      'infrastructure-without-runtime-internals: lib/stack.ts -> lambdas/relay/aws/ses.ts',
    ],
    [
      'a benchmark importing a test helper',
      { 'bench/run.ts': "import { helper } from '../test/support/helper';\nexport const x = helper;\n", 'test/support/helper.ts': 'export const helper = 1;\n' },
      'bench-without-test-support: bench/run.ts -> test/support/helper.ts',
    ],
    [
      "the CLI reaching past the local stack's face",
      { 'cli/main.ts': "import { stack } from '../local/stack';\nexport const x = stack;\n", 'local/stack.ts': 'export const stack = 1;\n' },
      'cli-through-the-local-face: cli/main.ts -> local/stack.ts',
    ],
  ])('fail on %s', async (_label, tree, expected) => {
    expect(await violations(tree)).toContain(expected);
  });
});
