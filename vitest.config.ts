import { defineConfig } from "vitest/config";
import type { TestSpecification } from "vitest/node";
import { BaseSequencer } from "vitest/node";

/**
 * Files that spend minutes waiting on deadlines, not the CPU, start first, so they wait beside the rest
 * instead of after it (on a fresh clone Vitest knows no durations and starts the largest files first).
 */
const FIRST = ["test/e2e/hangs.test.ts"];

class WaitersFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = (spec: TestSpecification) => FIRST.some((name) => spec.moduleId.endsWith(name));
    return [...sorted.filter(first), ...sorted.filter((spec) => !first(spec))];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The end-to-end tests run bundles built from the current source, not the committed dist/.
    globalSetup: ["test/support/bundle.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start child processes and servers; two cores do not gain from more workers.
    maxWorkers: 2,
    sequence: { sequencer: WaitersFirst },
  },
});
