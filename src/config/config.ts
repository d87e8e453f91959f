import { errorMessage, shorten, UsageError } from "../errors.ts";
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
  /** Where events come from when it is not AWS itself (`simulated:2000`): a checkpoint of one source
   * must not continue against another. Absent for AWS, so fingerprints of real backfills stay stable. */
  readonly source?: string;
}

export interface Config {
  readonly query: Query;
  readonly output: string;
  readonly checkpoint: string;
  readonly maxCheckpointAgeMs: number;
  readonly restart: boolean;
  /** Events in the built-in simulator; absent: the real AWS Health API. */
  readonly simulate?: number;
  /** AWS_ENDPOINT_URL_HEALTH when set: the SDK uses it, messages name it. */
  readonly endpoint?: string;
}

export type RawInputs = Readonly<Partial<Record<InputName, string>>>;

export interface ConfigContext {
  readonly now: number;
  readonly readFile: (path: string) => string;
  /** The endpoint override the SDK will read (AWS_ENDPOINT_URL_HEALTH), if any. */
  readonly endpoint?: string | undefined;
}

export const DEFAULT_SIMULATED_EVENTS = 2000;
export const DEFAULT_OUTPUT = "health-events.ndjson";

function readFilter(raw: string | undefined, scope: Scope, ctx: ConfigContext): EventFilter {
  const text = raw?.trim() ?? "";
  if (!text.startsWith("@")) return parseFilter(text, scope);
  const path = text.slice(1);
  let contents: string;
  try {
    contents = ctx.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw new UsageError(`Invalid ${INPUT.filter}: cannot read ${path} (${code}).`);
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

function parseQuery(raw: RawInputs, ctx: ConfigContext, simulate: number | undefined): Query {
  const scope = parseChoice(INPUT.scope, raw.scope || "organization", SCOPES);
  const since = optional(raw.since);
  const until = optional(raw.until);
  const from = since === undefined ? undefined : parseTime(INPUT.since, since, ctx.now);
  const to = until === undefined ? ctx.now : parseTime(INPUT.until, until, ctx.now);
  if (from !== undefined && from >= to) {
    throw new UsageError(
      `Invalid ${INPUT.since}: ${shorten(since ?? "")} is not before ${INPUT.until} (${new Date(to).toISOString()}).`,
    );
  }
  if (to > ctx.now + 60_000) {
    throw new UsageError(
      `Invalid ${INPUT.until}: ${shorten(until ?? "")} lies in the future; leave it empty for "now".`,
    );
  }
  const locale = optional(raw.locale);
  if (locale !== undefined && !/^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$/.test(locale)) {
    throw new UsageError(
      `Invalid ${INPUT.locale}: ${shorten(locale)}. Allowed: a language tag such as en or en-US.`,
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
    ...(simulate === undefined ? {} : { source: `simulated:${simulate}` }),
  };
}

/** AWS_ENDPOINT_URL_HEALTH must be an http(s) URL; the SDK would fail on anything else mid-request. */
function parseEndpoint(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new UsageError(
      `Invalid AWS_ENDPOINT_URL_HEALTH: ${shorten(v)}. Allowed: an http or https URL such as https://health.us-east-1.amazonaws.com.`,
    );
  }
  return v;
}

/** Reads every input once, through the same validation for action inputs and CLI flags. */
export function parseConfig(raw: RawInputs, ctx: ConfigContext): Config {
  const simulate = parseSimulate(raw.simulate);
  const query = parseQuery(raw, ctx, simulate);
  const output = optional(raw.output) ?? DEFAULT_OUTPUT;
  const endpoint = simulate === undefined ? parseEndpoint(ctx.endpoint) : undefined;
  return Object.freeze({
    query: Object.freeze(query),
    output,
    checkpoint: optional(raw.checkpoint) ?? `${output}.checkpoint.json`,
    maxCheckpointAgeMs: parseDuration(INPUT.maxCheckpointAge, raw["max-checkpoint-age"] || "24h"),
    restart: parseBoolean(INPUT.restart, raw.restart ?? "false"),
    ...(simulate === undefined ? {} : { simulate }),
    ...(endpoint === undefined ? {} : { endpoint }),
  });
}
