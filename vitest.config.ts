import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The end-to-end tests run bundles built from the current source, not the committed dist/.
    globalSetup: ["test/support/bundle.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start child processes and servers; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
