// Bundles the three entry points with ncc, which type-checks src/ (tsconfig.json) on the way. Each bundle lands in its own folder because ncc writes one
// index.js per build; action.yml points at dist/action and dist/post, the script is dist/index.js.
// `node scripts/build.mjs <folder>` builds into another folder (the tests bundle the current source so).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const root = process.argv[2] ?? "dist";
const entries = [
  ["src/main.ts", root],
  ["src/action.ts", `${root}/action`],
  ["src/post.ts", `${root}/post`],
];
rmSync(root, { recursive: true, force: true });
for (const [entry, out] of entries) {
  execFileSync("ncc", ["build", entry, "-o", out, "--license", "licenses.txt", "--quiet"], {
    stdio: "inherit",
  });
}
