import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The browser test files each build the app and drive Chromium: one at a time keeps them from starving.
    fileParallelism: false,
  },
});
