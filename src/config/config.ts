import { UsageError } from "../errors.ts";
import { type EventFilter, parseFilter } from "./filter.ts";
import { DETAILS, type Details, HEALTH_REGIONS, INPUT, type InputName, SCOPES, type Scope } from "./names.ts";
import { parseBoolean, parseChoice, parseDuration, parseInteger, parseTime } from "./parse.ts";

/**
 * The query as configured: it identifies the backfill. `since` and `until` stay as written (`90d`), so
 * a re-run tomorrow still recognises yesterday's checkpoint; the resolved request lives in the checkpoint.
 */
export interface Query {
  readonly scope: Scope;
  readonly region: string;
  readonly since?: string;
  readonly until?: string;
  readonly filter: EventFilter;
  readonly pageSize: number;
  readonly details: Details;
  readonly locale?: string;
}

export interface Config {
  readonly query: Query;
  readonly output: string;
  readonly checkpoint: string;
  readonly maxCheckpointAgeMs: number;
  readonly restart: boolean;
  /** Events in the built-in simulator; absent: the real AWS Health API. */
  readonly simulate?: number;
}

export type RawInputs = Readonly<Partial<Record<InputName, string>>>;

export interface ConfigContext {
  readonly now: number;
  readonly readFile: (path: string) => string;
}

export const DEFAULT_SIMULATED_EVENTS = 2000;

function readFilter(raw: string | undefined, scope: Scope, ctx: ConfigContext): EventFilter {
  const text = raw?.trim() ?? "";
  if (!text.startsWith("@")) return parseFilter(text, scope);
  const path = text.slice(1);
  let contents: string;
  try {
    contents = ctx.readFile(path);
  } catch (error) {
    throw new UsageError(
      `Invalid ${INPUT.filter}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error}).`,
    );
  }
  return parseFilter(contents, scope);
}

function parseSimulate(raw: string | undefined): number | undefined {
  const v = raw?.trim() ?? "";
  if (v === "" || v === "false") return undefined;
  if (v === "true") return DEFAULT_SIMULATED_EVENTS;
  return parseInteger(INPUT.simulate, v, 1, 1_000_000);
}

function optional(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  return v ? v : undefined;
}

function parseQuery(raw: RawInputs, ctx: ConfigContext): Query {
  const scope = parseChoice(INPUT.scope, raw.scope || "organization", SCOPES);
  const since = optional(raw.since);
  const until = optional(raw.until);
  const from = since === undefined ? undefined : parseTime(INPUT.since, since, ctx.now);
  const to = until === undefined ? ctx.now : parseTime(INPUT.until, until, ctx.now);
  if (from !== undefined && from >= to) {
    throw new UsageError(
      `Invalid ${INPUT.since}: ${JSON.stringify(since)} is not before ${INPUT.until} (${new Date(to).toISOString()}).`,
    );
  }
  if (to > ctx.now + 60_000) {
    throw new UsageError(
      `Invalid ${INPUT.until}: ${JSON.stringify(until)} lies in the future; leave it empty for "now".`,
    );
  }
  const locale = optional(raw.locale);
  if (locale !== undefined && !/^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$/.test(locale)) {
    throw new UsageError(
      `Invalid ${INPUT.locale}: ${JSON.stringify(locale)}. Allowed: a language tag such as en or en-US.`,
    );
  }
  return {
    scope,
    region: parseChoice(INPUT.region, raw.region || "us-east-1", HEALTH_REGIONS),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    filter: readFilter(raw.filter, scope, ctx),
    pageSize: parseInteger(INPUT.pageSize, raw["page-size"] || "100", 1, 100),
    details: parseChoice(INPUT.details, raw.details || "description", DETAILS),
    ...(locale === undefined ? {} : { locale }),
  };
}

/** Reads every input once, through the same validation for action inputs and CLI flags. */
export function parseConfig(raw: RawInputs, ctx: ConfigContext): Config {
  const query = parseQuery(raw, ctx);
  const output = optional(raw.output) ?? "health-events.ndjson";
  const simulate = parseSimulate(raw.simulate);
  return Object.freeze({
    query: Object.freeze(query),
    output,
    checkpoint: optional(raw.checkpoint) ?? `${output}.checkpoint.json`,
    maxCheckpointAgeMs: parseDuration(INPUT.maxCheckpointAge, raw["max-checkpoint-age"] || "24h"),
    restart: parseBoolean(INPUT.restart, raw.restart ?? "false"),
    ...(simulate === undefined ? {} : { simulate }),
  });
}
