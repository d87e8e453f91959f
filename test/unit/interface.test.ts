import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCli } from "../../src/cli/args.ts";
import { HELP } from "../../src/cli/help.ts";
import { ACTION_INPUT, INPUT } from "../../src/config/names.ts";

/** The two front doors name things alike: action.yml, the INPUT objects, the flags and --help. */
const ACTION_ONLY: readonly string[] = Object.values(ACTION_INPUT);

function section(yaml: string, name: string): string[] {
  const body = yaml.split(/^(?=\S)/m).find((part) => part.startsWith(`${name}:`)) ?? "";
  return [...body.matchAll(/^ {2}([a-z-]+):/gm)].map((m) => m[1] as string);
}

describe("inputs and flags", () => {
  const yaml = readFileSync("action.yml", "utf8");

  it("action.yml declares exactly the inputs of the INPUT and ACTION_INPUT objects", () => {
    expect(section(yaml, "inputs").sort()).toEqual([...Object.values(INPUT), ...ACTION_ONLY].sort());
  });

  it("every input but the cache's is a script flag with the same name, listed in --help", () => {
    for (const name of Object.values(INPUT)) {
      expect(parseCli([`--${name}=x`]).inputs[name], name).toBe("x");
      expect(HELP, name).toContain(`--${name}`);
    }
  });

  it("the action-only inputs are no script flags", () => {
    for (const name of ACTION_ONLY) expect(() => parseCli([`--${name}=x`]), name).toThrow(/--help/);
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

describe("flag values", () => {
  const refusal = (argv: string[]) => {
    try {
      parseCli(argv);
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };

  it("refuses an empty value typed on purpose instead of reading it as the default", () => {
    expect(refusal(["--output", ""])).toBe(
      "Invalid output: the value is empty. Give one, or leave out --output for its default (see --help).",
    );
    expect(refusal(["--since="])).toMatch(/^Invalid since: the value is empty\./);
    expect(refusal(["--simulate="])).toMatch(/^Invalid simulate: the value is empty\./);
    expect(refusal(["--checkpoint", "  "])).toMatch(/^Invalid checkpoint: the value is empty\./);
  });

  it("hands a value that starts with a dash, or is no number, to the input's own check", () => {
    expect(parseCli(["--page-size", "-5"]).inputs["page-size"]).toBe("-5");
    expect(parseCli(["--overlap", "-0s"]).inputs.overlap).toBe("-0s");
    expect(parseCli(["--simulate", "1e3"]).inputs.simulate).toBe("1e3");
    expect(parseCli(["--restart", "yes"]).inputs.restart).toBe("yes");
  });

  it("keeps --simulate and --restart as switches, and names a flag left without its value", () => {
    expect(parseCli(["--simulate", "--restart"]).inputs).toEqual({ simulate: "true", restart: "true" });
    expect(parseCli(["--simulate", "500"]).inputs.simulate).toBe("500");
    expect(refusal(["--page-size", "--details", "none"])).toBe(
      "Option --page-size needs a value (--page-size <value>). See --help for the flags.",
    );
    expect(refusal(["--output"])).toMatch(/^Option --output needs a value/);
  });
});
