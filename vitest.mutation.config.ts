import { defineConfig } from 'vitest/config';

/**
 * The unit project alone, for mutation testing (`npm run test:mutation`): Stryker runs the tests
 * that cover each mutant of the domain, which are unit tests; servers play no part. The handlers'
 * cold-start test is left out: it loads every module afresh inside its tests, which would make each
 * module-level (static) mutant look covered by it alone, and so tried against it alone.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/handlers/cold-start.test.ts'],
    environment: 'node',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
