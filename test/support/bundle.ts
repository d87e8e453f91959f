import { execFileSync } from "node:child_process";
import { TEST_BUNDLE } from "./runner.ts";

/** Vitest's global setup: bundles the current source for the end-to-end tests (see TEST_BUNDLE). */
export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs", TEST_BUNDLE], { stdio: "inherit" });
}
