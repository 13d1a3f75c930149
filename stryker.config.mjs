// @ts-check
import { fileURLToPath } from 'node:url';

/**
 * Mutation testing of the pure domain (`npm run test:mutation`; README, "Testing"). The sandbox is a
 * copy of the project, so the shared corpus is named by its absolute path. The TypeScript checker
 * (`-- --checkers typescript`, on `tsconfig.mutation.json`) takes one of a 2-core machine's two
 * processes and doubled the run's time there, so it is not on by default: a mutant that does not
 * type-check still runs (tsx strips types) and is killed or survives on its behaviour. Runs are
 * incremental: a mutant whose code and covering tests did not change keeps its earlier result.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // A mutant of module-level code (a schema, a table, a pattern) takes effect only when the module
  // is loaded afresh, which means the whole suite for each: hours on two cores. They are left out
  // and reported as ignored; the golden tests (the OpenAPI document, the rewrite fixtures) hold
  // what they define.
  ignoreStatic: true,
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: 85 },
  mutate: [
    // mail: split, inspect, rewrite, secrets
    'lambdas/mail/split.ts',
    'lambdas/mail/inspect.ts',
    'lambdas/mail/rewrite.ts',
    'lambdas/mail/secrets.ts',
    // aliases and authorisation
    'lambdas/aliases/names.ts',
    'lambdas/aliases/issuance.ts',
    'lambdas/aliases/lifecycle.ts',
    'lambdas/aliases/address.ts',
    'lambdas/aliases/stores.ts',
    'lambdas/relay/authentication.ts',
    // relay screening and routing, the exactly-once claim rules
    'lambdas/relay/screening.ts',
    'lambdas/relay/relay-inbound-mail.ts',
    'lambdas/relay/transmission.ts',
    'lambdas/relay/failures.ts',
    // retention cut-offs, destruction verification, receipts
    'lambdas/records/retention-policy.ts',
    'lambdas/records/days.ts',
    'lambdas/retention/retention-run.ts',
    'lambdas/destruction/destruction.ts',
    'lambdas/destruction/steps.ts',
    'lambdas/records/receipts.ts',
    'lambdas/records/receipt-chain.ts',
    // API validation, menu rules, limits and signals
    'lambdas/api/schemas.ts',
    'lambdas/api/idempotency.ts',
    'lambdas/menu/lockout.ts',
    'lambdas/menu/sessions.ts',
    'lambdas/menu/sign-in.ts',
    'lambdas/menu/sender-verification.ts',
    'lambdas/menu/invitations.ts',
    'lambdas/relay/rate-limits.ts',
    'lambdas/fraud/signals.ts',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
process.env.ANSHIN_CORPUS_DIR ??= fileURLToPath(new URL('../shared/corpus/', import.meta.url));
export default config;
