import { parseArgs } from "node:util";
import {
  inRange,
  OPTION_RANGES,
  type OptionRange,
  ORGANIZATIONAL_VIEWS,
  rangeInWords,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "./server.ts";

const HELP = `Usage: health-simulator [options]

A local AWS Health API (AWS JSON 1.1) with a deterministic dataset, for trying the backfill without
an AWS account. Prints AWS_ENDPOINT_URL_HEALTH=<url> and AWS_ENDPOINT_URL_STS=<url> (it answers STS
GetCallerIdentity too) on stdout once it listens; stops on Ctrl-C.

  --port N                  port to listen on; 0 picks a free one (0)
  --host HOST               address to listen on (127.0.0.1)
  --events N                events in the dataset (1000)
  --seed N                  dataset seed; the same seed gives the same events and accepts the same tokens (1)
  --accounts N              accounts in the organization (25)
  --accounts-per-event N    a wide organization: account-specific events affect 1 to N accounts
                            (default: mostly 1-5, a few up to 150)
  --entities-per-account N  a wide organization: 0 to N entities per event and account (default: 0-4)
  --latency MS              added to every answer, milliseconds (0)
  --rate-limit N            requests per second per API family, 0 = unlimited (0)
  --burst N                 rate-limit bucket size, 0 = a tenth of the rate (0)
  --error-rate F            fraction answered 500/503, 0-1 (0)
  --drop-rate F             fraction of connections dropped without an answer, 0-1 (0)
  --organizational-view S   ENABLED, DISABLED or PENDING (ENABLED)
  --inserts-per-minute F    new events per minute from the start on, fractions allowed (0)
  --updates-per-minute F    updates of existing events per minute: a new lastUpdatedTime, maybe a
                            new status (0). Deterministic: the same seed, start and rates give the
                            same history
  --help                    show this help
`;

const FLAGS = {
  port: { type: "string" },
  host: { type: "string" },
  events: { type: "string" },
  seed: { type: "string" },
  accounts: { type: "string" },
  "accounts-per-event": { type: "string" },
  "entities-per-account": { type: "string" },
  latency: { type: "string" },
  "rate-limit": { type: "string" },
  burst: { type: "string" },
  "error-rate": { type: "string" },
  "drop-rate": { type: "string" },
  "organizational-view": { type: "string" },
  "inserts-per-minute": { type: "string" },
  "updates-per-minute": { type: "string" },
  help: { type: "boolean" },
} as const;

class UsageError extends Error {}

/** Runs the simulator until SIGINT or SIGTERM. Bad flags: one line on stderr and exit code 2. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  let options: SimulatorOptions | "help";
  try {
    options = parseCli(argv);
  } catch (e) {
    process.stderr.write(`health-simulator: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return;
  }
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (e) {
    process.stderr.write(
      `health-simulator: could not start: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exitCode = 1;
    return;
  }
  // STS too: since: last-run asks GetCallerIdentity whose credentials these are.
  process.stdout.write(`AWS_ENDPOINT_URL_HEALTH=${sim.url}\nAWS_ENDPOINT_URL_STS=${sim.url}\n`);
  process.stderr.write(
    `AWS Health simulator: ${sim.dataset.length} events at ${sim.url}. In another shell:\n` +
      `  export AWS_ENDPOINT_URL_HEALTH=${sim.url} AWS_ENDPOINT_URL_STS=${sim.url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n` +
      "Any credentials work. Ctrl-C stops it.\n",
  );
  await untilSignal();
  await sim.close();
}

/** Resolves on the first SIGINT or SIGTERM; the hooks exist only while the simulator runs. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function parseCli(argv: string[]): SimulatorOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? (e.message.split("\n")[0] ?? e.message) : String(e));
  }
  if (values.help === true) return "help";
  const o: SimulatorOptions = {};
  const text = (flag: keyof typeof FLAGS) => values[flag] as string | undefined;
  const set = <K extends keyof SimulatorOptions>(key: K, value: SimulatorOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  const num = (flag: keyof typeof FLAGS, key: keyof typeof OPTION_RANGES) =>
    set(key, number(flag, text(flag), OPTION_RANGES[key]));
  num("port", "port");
  set("host", host(text("host")));
  num("events", "events");
  num("seed", "seed");
  num("accounts", "accounts");
  num("accounts-per-event", "accountsPerEvent");
  num("entities-per-account", "entitiesPerAccount");
  num("latency", "latencyMs");
  num("rate-limit", "rateLimit");
  num("burst", "burst");
  num("error-rate", "errorRate");
  num("drop-rate", "dropRate");
  set("organizationalView", view(text("organizational-view")));
  num("inserts-per-minute", "insertsPerMinute");
  num("updates-per-minute", "updatesPerMinute");
  return o;
}

/** A number in the option's range (OPTION_RANGES): a whole number, maybe negative, or a plain decimal. */
function number(flag: string, value: string | undefined, range: OptionRange): number | undefined {
  if (value === undefined) return undefined;
  const n = (range.whole ? /^-?\d+$/ : /^\d+(\.\d+)?$/).test(value) ? Number(value) : Number.NaN;
  if (!inRange(n, range)) throw new UsageError(`--${flag} must be ${rangeInWords(range)}, got '${value}'`);
  return n;
}

function host(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\w.:-]+$/.test(value))
    throw new UsageError(`--host must be a host name or IP address, got '${value}'`);
  return value;
}

function view(value: string | undefined): SimulatorOptions["organizationalView"] {
  if (value === undefined) return undefined;
  const found = ORGANIZATIONAL_VIEWS.find((v) => v === value);
  if (found !== undefined) return found;
  throw new UsageError(`--organizational-view must be ENABLED, DISABLED or PENDING, got '${value}'`);
}
