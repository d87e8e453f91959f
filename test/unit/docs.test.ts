import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The documentation's links: the README is the front page and the reference lives in docs/ and
 * CONTRIBUTING.md, so every relative link must reach an existing file and every #anchor a heading.
 */
const DOCS = [
  "README.md",
  "CONTRIBUTING.md",
  "CHANGELOG.md",
  "SECURITY.md",
  ...readdirSync("docs")
    .filter((name) => name.endsWith(".md"))
    .map((name) => join("docs", name)),
];

/** The text outside fenced code blocks, one entry per line (fenced lines become empty). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && open) {
      fence = (open[1] as string)[0];
      return "";
    }
    if (fence !== undefined) {
      if (open && (open[1] as string)[0] === fence) fence = undefined;
      return "";
    }
    return line;
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped except - and _, spaces to -. */
function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every anchor a document's headings make, with GitHub's -1, -2 suffixes for repeated headings. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative link targets in prose (inline code spans left out), as written. */
function links(text: string): string[] {
  const out: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, "``");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] as string;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push(target);
    }
  }
  return out;
}

/** The links of `file` (with the given text) that do not resolve, each with the reason. */
function brokenLinks(file: string, text: string): string[] {
  const broken: string[] = [];
  for (const target of links(text)) {
    const hash = target.indexOf("#");
    const path = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === "" ? file : normalize(join(dirname(file), decodeURIComponent(path)));
    if (!existsSync(resolved)) {
      broken.push(`${target}: no file ${resolved}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith(".md") || !statSync(resolved).isFile()) {
      broken.push(`${target}: an anchor into ${resolved}, which is no Markdown file`);
      continue;
    }
    const headings = anchors(resolved === file ? text : readFileSync(resolved, "utf8"));
    if (!headings.has(anchor)) broken.push(`${target}: no heading #${anchor} in ${resolved}`);
  }
  return broken;
}

describe("documentation links", () => {
  it("covers the README, CONTRIBUTING, CHANGELOG, SECURITY and docs/", () => {
    expect(DOCS.length).toBeGreaterThan(4);
    for (const file of DOCS) expect(existsSync(file), file).toBe(true);
  });

  it.each(DOCS)("%s: every relative link and #anchor resolves", (file) => {
    expect(brokenLinks(file, readFileSync(file, "utf8"))).toEqual([]);
  });

  it("slugs headings as GitHub does", () => {
    expect(slug("Scheduled backups: `since: last-run`")).toBe("scheduled-backups-since-last-run");
    expect(slug("The archive (`merge-into`)")).toBe("the-archive-merge-into");
    expect(slug("Failover and `region: auto`")).toBe("failover-and-region-auto");
    expect(slug("Dependencies, and why")).toBe("dependencies-and-why");
  });

  it("reports a missing file, a missing anchor and an anchor in another file", () => {
    const text = [
      "# Title",
      "[ok](#title) [gone](#no-such-heading) [file](no-such-file.md) [there](CONTRIBUTING.md#architecture)",
      "[elsewhere](CONTRIBUTING.md#no-such-heading) [web](https://example.com/#x) `[code](#in-code)`",
      "```",
      "[fenced](#in-a-fence)",
      "```",
    ].join("\n");
    expect(brokenLinks("README.md", text)).toEqual([
      "#no-such-heading: no heading #no-such-heading in README.md",
      "no-such-file.md: no file no-such-file.md",
      "CONTRIBUTING.md#no-such-heading: no heading #no-such-heading in CONTRIBUTING.md",
    ]);
  });
});

describe("README", () => {
  const readme = readFileSync("README.md", "utf8");

  it("is a front page: at most 15 KB", () => {
    expect(Buffer.byteLength(readme, "utf8")).toBeLessThanOrEqual(15 * 1024);
  });

  it("keeps the two commands (.ci/run runs npm test)", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });

  /** The names under `inputs:` or `outputs:` in action.yml. */
  function actionNames(section: "inputs" | "outputs"): string[] {
    const yml = readFileSync("action.yml", "utf8");
    const body = yml
      .slice(yml.indexOf(`\n${section}:\n`) + section.length + 3)
      .split(/\n(?=\S)/)[0] as string;
    return [...body.matchAll(/^ {2}([a-z][a-z0-9-]*):\s*$/gm)].map((m) => m[1] as string);
  }

  /** The rows of the README's table under `## <heading>`, by the name in their first column. */
  function tableNames(heading: string): string[] {
    const start = readme.indexOf(`\n## ${heading}\n`);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const end = readme.indexOf("\n## ", start + 4);
    const section = readme.slice(start, end < 0 ? undefined : end);
    return [...section.matchAll(/^\| `([a-z0-9-]+)`/gm)].map((m) => m[1] as string);
  }

  it("lists every input of action.yml, in its order", () => {
    expect(actionNames("inputs").length).toBeGreaterThan(10);
    expect(tableNames("Inputs")).toEqual(actionNames("inputs"));
  });

  it("lists every output of action.yml, in its order", () => {
    expect(actionNames("outputs").length).toBeGreaterThan(3);
    expect(tableNames("Outputs")).toEqual(actionNames("outputs"));
  });
});
