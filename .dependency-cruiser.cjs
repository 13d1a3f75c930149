/**
 * The project's architecture as rules, checked by `npm test` (`npm run arch`) and, in
 * test/unit/architecture/dependency-rules.test.ts, shown to fail on code that breaks them.
 *
 * Runtime code lives in `lambdas/<context>/`: pure modules at the top of a context, AWS adapters in
 * its `aws/` folder, and a function's composition root (`app.ts`) and entry (`handler.ts`), which
 * wire adapters of any context together. `lambdas/aws/` holds helpers every adapter shares.
 */

/** Where an SDK may be imported: adapters, composition roots and everything that is not deployed runtime code. */
const SDK_ALLOWED = ['^lambdas/aws/', '^lambdas/[^/]+/aws/', '^lambdas/[^/]+/(handler|app)\\.ts$', '^(lib|cli|local|bench|bin|test)/'];
const ROOTS = '^lambdas/[^/]+/(handler|app)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules form no import circle, type imports included: each context reads from the top down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'sdk-only-in-adapters',
      severity: 'error',
      comment: 'AWS SDK, Smithy, Powertools and CDK are reached only from aws/ folders and composition roots; the domain knows nothing of AWS.',
      from: { path: '^lambdas/', pathNot: SDK_ALLOWED },
      to: { path: '(^|/)(@aws-sdk|@smithy|@aws-lambda-powertools|aws-cdk-lib|constructs)(/|$)' },
    },
    {
      name: 'domain-without-adapters',
      severity: 'error',
      comment: "A context's pure modules never import an aws/ folder, their own or another's: adapters are handed in through ports.",
      from: { path: '^lambdas/', pathNot: [...SDK_ALLOWED, ROOTS] },
      to: { path: '(^|/)aws/' },
    },
    {
      name: 'adapters-stay-in-their-context',
      severity: 'error',
      comment: "One context's adapters do not reach into another context's aws/ folder; shared helpers live in lambdas/aws/.",
      from: { path: '^lambdas/([^/]+)/aws/' },
      to: { path: '^lambdas/[^/]+/aws/', pathNot: '^lambdas/$1/aws/' },
    },
    {
      name: 'runtime-stands-alone',
      severity: 'error',
      comment: 'Deployed code never depends on the infrastructure, the CLI, the local stack, tests or benchmarks.',
      from: { path: '^lambdas/' },
      to: { path: '^(lib|cli|local|test|bench|bin)/' },
    },
    {
      name: 'infrastructure-without-runtime-internals',
      severity: 'error',
      comment: 'The CDK app reads shared contracts (configuration, schema, policy, env names) but never an adapter.',
      from: { path: '^(lib|bin)/' },
      to: { path: ['^lambdas/aws/', '^lambdas/[^/]+/aws/'] },
    },
    {
      name: 'bench-without-test-support',
      severity: 'error',
      comment: 'Benchmarks stand on the project, not on test helpers.',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'cli-through-the-local-face',
      severity: 'error',
      comment: "The CLI reaches the local stack only through its published face, local/index.ts.",
      from: { path: '^cli/' },
      to: { path: '^local/', pathNot: '^local/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|\\.local)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
