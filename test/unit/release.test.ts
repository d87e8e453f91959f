import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDist, moveMajorTag, notesFor, parseTag } from "../../scripts/release.ts";

const CHANGELOG = `# Changelog

## Unreleased

- something not released yet

## 1.1.0 - 2026-12-01

- Added a thing.

## 1.0.0 - 2026-11-30

- First release.
`;

/** A throwaway repository with dist/ committed and a tag. */
function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "release-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  git("init", "-q");
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "dist", "index.js"), "built\n");
  git("add", ".");
  git("commit", "-q", "-m", "one");
  return { dir, git };
}

describe("the release steps", () => {
  it("accept version tags and refuse anything else", () => {
    expect(parseTag("v1.2.3")).toEqual({ tag: "v1.2.3", version: "1.2.3", major: 1, prerelease: false });
    expect(parseTag("v2.0.0-rc.1")).toMatchObject({ major: 2, prerelease: true });
    for (const bad of ["1.2.3", "v1.2", "v01.2.3", "v1.2.3.4", "v1", "release-1"]) {
      expect(() => parseTag(bad), bad).toThrow(/Not a release tag/);
    }
  });

  it("take the notes of exactly that version from CHANGELOG.md", () => {
    expect(notesFor(CHANGELOG, "1.1.0")).toBe("- Added a thing.");
    expect(notesFor(CHANGELOG, "1.0.0")).toBe("- First release.");
    expect(() => notesFor(CHANGELOG, "1.2.0")).toThrow(/no section "## 1\.2\.0"/);
    expect(() => notesFor(CHANGELOG, "1.1")).toThrow(/no section/);
  });

  it("refuse a tag whose dist/ is not what a fresh build makes", () => {
    const { dir } = repo();
    expect(() => checkDist(dir, () => writeFileSync(join(dir, "dist", "index.js"), "built\n"))).not.toThrow();
    expect(() => checkDist(dir, () => writeFileSync(join(dir, "dist", "index.js"), "rebuilt\n"))).toThrow(
      /dist\/ at this tag differs from a fresh build[\s\S]*M dist\/index\.js/,
    );
  });

  it("move the major tag to each release, but not to a prerelease", () => {
    const { dir, git } = repo();
    git("tag", "v1.0.0");
    const first = git("rev-parse", "HEAD").trim();
    expect(moveMajorTag(dir, parseTag("v1.0.0"), { dryRun: false, push: false })).toHaveLength(1);
    expect(git("rev-parse", "v1^{commit}").trim()).toBe(first);
    git("commit", "-q", "--allow-empty", "-m", "two");
    git("tag", "v1.1.0-rc.1");
    expect(moveMajorTag(dir, parseTag("v1.1.0-rc.1"), { dryRun: false, push: false })).toEqual([]);
    expect(git("rev-parse", "v1^{commit}").trim()).toBe(first);
    git("tag", "v1.1.0");
    const dry = moveMajorTag(dir, parseTag("v1.1.0"), { dryRun: true, push: true });
    expect(dry[1]).toBe("git push --force origin refs/tags/v1");
    expect(git("rev-parse", "v1^{commit}").trim()).toBe(first);
    moveMajorTag(dir, parseTag("v1.1.0"), { dryRun: false, push: false });
    expect(git("rev-parse", "v1^{commit}").trim()).toBe(git("rev-parse", "HEAD").trim());
  });
});
