import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ACTION_DEFAULTS, ACTION_INPUT, DEFAULTS, INPUT } from "../../src/config/names.ts";

/** The `inputs:` block of action.yml: name -> its indented lines. */
function inputsOf(yaml: string): Map<string, string> {
  const block = /^inputs:\n([\s\S]*?)^\S/m.exec(yaml)?.[1] ?? "";
  const inputs = new Map<string, string>();
  for (const m of block.matchAll(/^ {2}([\w-]+):\n((?: {4}.*\n)+)/gm))
    inputs.set(m[1] as string, m[2] as string);
  return inputs;
}

describe("action.yml", () => {
  const inputs = inputsOf(readFileSync("action.yml", "utf8"));

  it("declares exactly the inputs the action reads, each with a description and a string default", () => {
    expect([...inputs.keys()].sort()).toEqual(
      [...Object.values(INPUT), ...Object.values(ACTION_INPUT)].sort(),
    );
    for (const [name, body] of inputs) {
      expect(body, name).toMatch(/^ {4}description: .+$/m);
      expect(body, name).toMatch(/^ {4}default: "[^"\n]*"$/m);
    }
  });

  it("declares each input's default as the table in src/config/names.ts says", () => {
    const declared = Object.fromEntries(
      [...inputs].map(([name, body]) => [name, /^ {4}default: "([^"\n]*)"$/m.exec(body)?.[1]]),
    );
    expect(declared).toEqual({ ...DEFAULTS, ...ACTION_DEFAULTS });
  });

  it("passes the matrix and the job's token by default, as the runner expands them", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    expect(inputs.get("matrix")).toContain('default: "${{ toJSON(matrix) }}"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    expect(inputs.get("github-token")).toContain('default: "${{ github.token }}"');
  });
});
