// The release steps the release workflow (.github/workflows/release.yml) runs on a pushed vX.Y.Z tag:
//   node scripts/release.ts check <tag>       the tag names a version with notes in CHANGELOG.md, and
//                                             dist/ equals a fresh build (npm run build)
//   node scripts/release.ts notes <tag>       prints that version's notes from CHANGELOG.md
//   node scripts/release.ts move-major <tag>  points the major tag (v1) at the tag's commit and pushes
//                                             it; --dry-run prints the git commands instead
// Prereleases (v1.2.0-rc.1) get a release but never move the major tag users pin.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Version {
  readonly tag: string;
  readonly version: string;
  readonly major: number;
  readonly prerelease: boolean;
}

/** `v1.2.3` or `v1.2.3-rc.1`; anything else is not a release tag. */
export function parseTag(tag: string): Version {
  const m = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/.exec(tag.trim());
  if (!m)
    throw new Error(
      `Not a release tag: ${JSON.stringify(tag)}. Release tags look like v1.2.3 or v1.2.3-rc.1.`,
    );
  return {
    tag: tag.trim(),
    version: tag.trim().slice(1),
    major: Number(m[1]),
    prerelease: m[4] !== undefined,
  };
}

/** The body of `## <version>` (up to the next `## `) in the changelog, trimmed; refuses an empty one. */
export function notesFor(changelog: string, version: string): string {
  const lines = changelog.split("\n");
  const start = lines.findIndex((l) =>
    new RegExp(`^## \\[?${version.replace(/\./g, "\\.")}\\]?( |$)`).test(l),
  );
  if (start < 0)
    throw new Error(`CHANGELOG.md has no section "## ${version}": write the notes before tagging.`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
  if (!body) throw new Error(`CHANGELOG.md's section "## ${version}" is empty.`);
  return body;
}

type Run = (command: string, args: string[]) => string;

function runIn(cwd: string): Run {
  return (command, args) => execFileSync(command, args, { cwd, encoding: "utf8" });
}

/** Builds dist/ afresh and refuses when it differs from what the tag's commit holds. */
export function checkDist(cwd: string, build: () => void): void {
  build();
  const changed = runIn(cwd)("git", ["status", "--porcelain", "--", "dist"]).trim();
  if (changed) {
    throw new Error(
      `dist/ at this tag differs from a fresh build (npm run build):\n${changed}\nRebuild, commit dist/ and tag again.`,
    );
  }
}

/** The git commands that point the major tag at the release's commit and publish it. */
export function majorTagCommands(version: Version, commit: string): string[][] {
  if (version.prerelease) return [];
  const major = `v${version.major}`;
  return [
    ["git", "tag", "--force", "--annotate", major, "--message", `${major}: ${version.tag}`, commit],
    ["git", "push", "--force", "origin", `refs/tags/${major}`],
  ];
}

export function moveMajorTag(cwd: string, version: Version, o: { dryRun: boolean; push: boolean }): string[] {
  const run = runIn(cwd);
  const commit = run("git", ["rev-parse", `${version.tag}^{commit}`]).trim();
  const commands = majorTagCommands(version, commit).filter((c) => o.push || c[1] !== "push");
  const printed = commands.map((c) => c.join(" "));
  if (!o.dryRun) for (const [command, ...args] of commands) run(command as string, args);
  return printed;
}

function main(argv: string[]): void {
  const [step, tag = "", ...rest] = argv;
  const version = parseTag(tag);
  const cwd = process.cwd();
  if (step === "check") {
    notesFor(readFileSync("CHANGELOG.md", "utf8"), version.version);
    checkDist(cwd, () => execFileSync("npm", ["run", "build"], { cwd, stdio: "inherit" }));
    console.log(`${version.tag}: notes found, dist/ equals a fresh build.`);
  } else if (step === "notes") {
    process.stdout.write(`${notesFor(readFileSync("CHANGELOG.md", "utf8"), version.version)}\n`);
  } else if (step === "move-major") {
    const dryRun = rest.includes("--dry-run");
    const printed = moveMajorTag(cwd, version, { dryRun, push: true });
    console.log(printed.length ? printed.join("\n") : `${version.tag} is a prerelease: the major tag stays.`);
  } else {
    throw new Error("Usage: node scripts/release.ts check|notes|move-major <tag> [--dry-run]");
  }
}

// Run as a script (node scripts/release.ts ...), not when a test imports it.
if (process.argv[1]?.endsWith("release.ts")) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`release: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
