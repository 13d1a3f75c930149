import { defineConfig } from 'vitest/config';

/**
 * The unit project alone, for mutation testing (`npm run test:mutation`): Stryker runs the tests
 * that cover each mutant of the domain, which are unit tests; servers play no part.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
