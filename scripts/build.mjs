// Bundles the three entry points with ncc, which type-checks src/ (tsconfig.json) on the way. Each bundle lands in its own folder because ncc writes one
// index.js per build; action.yml points at dist/action and dist/post, the script is dist/index.js.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const entries = [
  ["src/main.ts", "dist"],
  ["src/action.ts", "dist/action"],
  ["src/post.ts", "dist/post"],
];
rmSync("dist", { recursive: true, force: true });
for (const [entry, out] of entries) {
  execFileSync("ncc", ["build", entry, "-o", out, "--license", "licenses.txt", "--quiet"], {
    stdio: "inherit",
  });
}
