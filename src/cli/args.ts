import { parseArgs } from "node:util";
import type { RawInputs } from "../config/config.ts";
import { INPUT } from "../config/names.ts";
import { errorMessage, sentence, UsageError } from "../errors.ts";

/** The script's flags: the action's input names, plus --help and --debug. */
const FLAGS = [
  INPUT.scope,
  INPUT.region,
  INPUT.since,
  INPUT.until,
  INPUT.filter,
  INPUT.pageSize,
  INPUT.details,
  INPUT.locale,
  INPUT.output,
  INPUT.checkpoint,
  INPUT.maxCheckpointAge,
  INPUT.expired,
  INPUT.restart,
  INPUT.simulate,
  INPUT.overlap,
  INPUT.firstSince,
  INPUT.mergeInto,
] as const;

export interface CliArgs {
  readonly inputs: RawInputs;
  readonly help: boolean;
  readonly debug: boolean;
}

/** `--simulate` takes an optional number and `--restart` an optional boolean; parseArgs has no optional values. */
function normalise(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg === `--${INPUT.simulate}`) {
      const takes = next !== undefined && /^(\d+|true|false)$/.test(next);
      out.push(`${arg}=${takes ? next : "true"}`);
      if (takes) i++;
    } else if (arg === `--${INPUT.restart}`) {
      const takes = next === "true" || next === "false";
      out.push(`${arg}=${takes ? next : "true"}`);
      if (takes) i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parseCli(argv: readonly string[]): CliArgs {
  const options = Object.fromEntries(FLAGS.map((name) => [name, { type: "string" as const }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: normalise(argv),
      options: { ...options, help: { type: "boolean", short: "h" }, debug: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    const first = errorMessage(error).split("\n")[0] ?? "";
    throw new UsageError(`${sentence(first)} See --help for the flags.`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const inputs: Record<string, string> = {};
  for (const name of FLAGS) {
    const value = values[name];
    if (typeof value === "string") inputs[name] = value;
  }
  return { inputs, help: values.help === true, debug: values.debug === true };
}
