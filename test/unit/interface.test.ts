import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCli } from "../../src/cli/args.ts";
import { HELP } from "../../src/cli/help.ts";
import { INPUT } from "../../src/config/names.ts";

/** The two front doors name things alike: action.yml, the INPUT object, the flags and --help. */
const ACTION_ONLY: readonly string[] = [
  INPUT.checkpointKey,
  INPUT.cacheSaveInterval,
  INPUT.matrix,
  INPUT.githubToken,
];

function section(yaml: string, name: string): string[] {
  const body = yaml.split(/^(?=\S)/m).find((part) => part.startsWith(`${name}:`)) ?? "";
  return [...body.matchAll(/^ {2}([a-z-]+):/gm)].map((m) => m[1] as string);
}

describe("inputs and flags", () => {
  const yaml = readFileSync("action.yml", "utf8");

  it("action.yml declares exactly the inputs of the INPUT object", () => {
    expect(section(yaml, "inputs").sort()).toEqual(Object.values(INPUT).sort());
  });

  it("every input but the cache's is a script flag with the same name, listed in --help", () => {
    for (const name of Object.values(INPUT).filter((n) => !ACTION_ONLY.includes(n))) {
      expect(parseCli([`--${name}=x`]).inputs[name], name).toBe("x");
      expect(HELP, name).toContain(`--${name}`);
    }
  });

  it("action.yml declares the window outputs", () => {
    expect(section(yaml, "outputs")).toEqual(
      expect.arrayContaining([
        "events",
        "pages",
        "output",
        "resumed",
        "checkpoint-key",
        "window-from",
        "window-to",
      ]),
    );
  });
});
