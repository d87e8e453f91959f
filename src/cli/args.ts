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
  INPUT.archive,
  INPUT.layout,
] as const;

export interface CliArgs {
  readonly inputs: RawInputs;
  readonly help: boolean;
  readonly debug: boolean;
}

/** A flag or -h, as opposed to a value that starts with a dash (`-5`, `-0s`). */
function isFlag(arg: string): boolean {
  return arg.startsWith("--") || arg === "-h";
}

/**
 * Joins each flag with its value (`--page-size=-5`), so parseArgs neither calls a value that starts
 * with a dash "ambiguous" nor a bad `--simulate` number a positional argument: the value reaches the
 * input's own check, whose message names the option and what it allows. `--simulate` and `--restart`
 * may stand alone (parseArgs has no optional values): `--simulate` means 2000 events.
 */
function normalise(argv: readonly string[]): string[] {
  const out: string[] = [];
  const optional: readonly string[] = [`--${INPUT.simulate}`, `--${INPUT.restart}`];
  const takesValue = new Set(FLAGS.map((name) => `--${name}`));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (!takesValue.has(arg)) {
      out.push(arg);
    } else if (next !== undefined && !isFlag(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else if (optional.includes(arg)) {
      out.push(`${arg}=true`);
    } else {
      throw new UsageError(`Option ${arg} needs a value (${arg} <value>). See --help for the flags.`);
    }
  }
  return out;
}

/** An empty value typed on purpose (`--output ''`, `--since=`) is refused, not read as "the default". */
function checkNotEmpty(name: string, value: string): void {
  if (value.trim() === "") {
    throw new UsageError(
      `Invalid ${name}: the value is empty. Give one, or leave out --${name} for its default (see --help).`,
    );
  }
}

export function parseCli(argv: readonly string[]): CliArgs {
  const options = Object.fromEntries(FLAGS.map((name) => [name, { type: "string" as const }]));
  const args = normalise(argv);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
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
    if (typeof value !== "string") continue;
    checkNotEmpty(name, value);
    inputs[name] = value;
  }
  return { inputs, help: values.help === true, debug: values.debug === true };
}
