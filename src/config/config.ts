import { errorMessage, redactUrl, shorten, UsageError } from "../errors.ts";
import { type EventFilter, parseFilter } from "./filter.ts";
import {
  AUTO_REGION,
  DEFAULTS,
  DETAILS,
  type Details,
  EXPIRED,
  type Expired,
  HEALTH_REGIONS,
  INPUT,
  type InputName,
  LAST_RUN,
  LAYOUTS,
  type Layout,
  SCOPES,
  type Scope,
} from "./names.ts";
import {
  parseBoolean,
  parseBound,
  parseChoice,
  parseDuration,
  parseInteger,
  type TimeBound,
  timeOf,
  untilOf,
} from "./parse.ts";
import { parseS3Location, type S3Location } from "./s3-location.ts";

/**
 * The query as configured: it identifies the backfill. `since` and `until` stay as written (`90d`), so
 * a re-run tomorrow still recognises yesterday's checkpoint; the resolved request lives in the checkpoint.
 * `since: last-run` stays `last-run` here too: every run of a scheduled job is the same query.
 */
export interface Query {
  readonly scope: Scope;
  readonly region: string;
  readonly since?: string;
  readonly until?: string;
  /**
   * `since` (unless `last-run`) and `until` parsed once, for the engine to resolve at the first
   * attempt. Not part of the fingerprint: `since` and `until` as written are.
   */
  readonly bounds: { readonly since?: TimeBound; readonly until?: TimeBound };
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
  /** An expired checkpoint fails loudly (`fail`) or is continued by time (`continue`). */
  readonly expired: Expired;
  readonly restart: boolean;
  /** Events in the built-in simulator; absent: the real AWS Health API. */
  readonly simulate?: number;
  /** AWS_ENDPOINT_URL_HEALTH when set: the SDK uses it, messages name it. */
  readonly endpoint?: string;
  /**
   * How `since: last-run` resolves. Not part of the query: changing them must not lose the record of
   * the last complete run, and a resume sends the request pinned in its checkpoint anyway.
   */
  readonly lastRun: LastRunOptions;
  /** A JSON Lines archive the completed backfill is folded into (newest version of every event). */
  readonly mergeInto?: string;
  /** `archive: s3://…`: the archive, dated deltas and last-run record in S3. */
  readonly archive?: S3Location;
  /** What the S3 archive holds besides (see LAYOUTS). */
  readonly layout: Layout;
}

export interface LastRunOptions {
  /** How far before the last complete run's `until` an incremental run starts again. */
  readonly overlapMs: number;
  /** Where `since: last-run` starts without a record: a time or a duration back from the run's start. */
  readonly firstSince: string;
  /** `firstSince` parsed once. */
  readonly firstSinceBound: TimeBound;
}

export type RawInputs = Readonly<Partial<Record<InputName, string>>>;

export interface ConfigContext {
  readonly now: number;
  readonly readFile: (path: string) => string;
  /** The endpoint override the SDK will read (AWS_ENDPOINT_URL_HEALTH), if any. */
  readonly endpoint?: string | undefined;
}

export const DEFAULT_SIMULATED_EVENTS = 2000;
/** An overlap longer than this would re-download more than a day of every daily run. */
const MAX_OVERLAP_MS = 86_400_000;

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

/** A time, a duration back from now, or `last-run` (resolved when the backfill starts). */
function parseSince(since: string): TimeBound {
  return parseBound(
    INPUT.since,
    since,
    `Write an ISO 8601 time that exists, from 1970 on (2026-08-01T00:00:00Z), a duration back from now (90d, 36h), or ${LAST_RUN} (continue from the last complete run).`,
  );
}

function parseQuery(raw: RawInputs, ctx: ConfigContext, simulate: number | undefined): Query {
  const scope = parseChoice(INPUT.scope, raw.scope || DEFAULTS.scope, SCOPES);
  const since = optional(raw.since);
  const until = optional(raw.until);
  const bounds: Query["bounds"] = Object.freeze({
    ...(since === undefined || since === LAST_RUN ? {} : { since: parseSince(since) }),
    ...(until === undefined ? {} : { until: parseBound(INPUT.until, until) }),
  });
  const from = bounds.since && timeOf(bounds.since, ctx.now);
  const to = untilOf(bounds.until, ctx.now);
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
    region: parseChoice(INPUT.region, raw.region || DEFAULTS.region, [AUTO_REGION, ...HEALTH_REGIONS]),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    filter: readFilter(raw.filter, scope, ctx),
    pageSize: parseInteger(INPUT.pageSize, raw["page-size"] || DEFAULTS["page-size"], 1, 100),
    details: parseChoice(INPUT.details, raw.details || DEFAULTS.details, DETAILS),
    ...(locale === undefined ? {} : { locale }),
    ...(simulate === undefined ? {} : { source: `simulated:${simulate}` }),
    bounds,
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
      `Invalid AWS_ENDPOINT_URL_HEALTH: ${shorten(redactUrl(v))}. Allowed: an http or https URL such as https://health.us-east-1.amazonaws.com.`,
    );
  }
  return v;
}

/** `overlap` and `first-since`, checked whether or not `since` is `last-run`: a typo fails every time. */
function parseLastRun(raw: RawInputs, query: Query, ctx: ConfigContext): LastRunOptions {
  const overlapMs = parseDuration(INPUT.overlap, raw.overlap || DEFAULTS.overlap, MAX_OVERLAP_MS);
  const firstSince = optional(raw["first-since"]) ?? DEFAULTS["first-since"];
  const firstSinceBound = parseBound(INPUT.firstSince, firstSince);
  const from = timeOf(firstSinceBound, ctx.now);
  const to = untilOf(query.bounds.until, ctx.now);
  // Only a last-run query starts there; for others first-since is checked for its form alone.
  if (query.since === LAST_RUN && from >= to) {
    throw new UsageError(
      `Invalid ${INPUT.firstSince}: ${shorten(firstSince)} is not before ${INPUT.until} (${new Date(to).toISOString()}).`,
    );
  }
  return Object.freeze({ overlapMs, firstSince, firstSinceBound });
}

/** `archive`: an S3 location, never together with a local `merge-into` archive. */
function parseArchive(raw: RawInputs, mergeInto: string | undefined): S3Location | undefined {
  const value = optional(raw.archive);
  if (value === undefined) return undefined;
  const archive = parseS3Location(value);
  if (mergeInto !== undefined) {
    throw new UsageError(
      `Invalid ${INPUT.archive}: ${archive.url} and ${INPUT.mergeInto} ${shorten(mergeInto)} are both set. Allowed: one archive, in S3 (${INPUT.archive}) or in a local file (${INPUT.mergeInto}).`,
    );
  }
  return archive;
}

/** Reads every input once, through the same validation for action inputs and CLI flags. */
export function parseConfig(raw: RawInputs, ctx: ConfigContext): Config {
  const simulate = parseSimulate(raw.simulate);
  const query = parseQuery(raw, ctx, simulate);
  const output = optional(raw.output) ?? DEFAULTS.output;
  const endpoint = simulate === undefined ? parseEndpoint(ctx.endpoint) : undefined;
  const mergeInto = optional(raw["merge-into"]);
  const archive = parseArchive(raw, mergeInto);
  const layout = parseChoice(INPUT.layout, raw.layout || "standard", LAYOUTS);
  if (layout === "heidi" && archive === undefined) {
    throw new UsageError(
      `Invalid ${INPUT.layout}: heidi writes into an S3 archive, and ${INPUT.archive} is empty. Allowed: ${INPUT.layout}: heidi with ${INPUT.archive}: s3://bucket/prefix, or ${INPUT.layout}: standard.`,
    );
  }
  return Object.freeze({
    query: Object.freeze(query),
    output,
    checkpoint: optional(raw.checkpoint) ?? `${output}.checkpoint.json`,
    maxCheckpointAgeMs: parseDuration(
      INPUT.maxCheckpointAge,
      raw["max-checkpoint-age"] || DEFAULTS["max-checkpoint-age"],
    ),
    expired: parseChoice(INPUT.expired, raw.expired || DEFAULTS.expired, EXPIRED),
    restart: parseBoolean(INPUT.restart, raw.restart ?? DEFAULTS.restart),
    ...(simulate === undefined ? {} : { simulate }),
    ...(endpoint === undefined ? {} : { endpoint }),
    lastRun: parseLastRun(raw, query, ctx),
    ...(mergeInto === undefined ? {} : { mergeInto }),
    ...(archive === undefined ? {} : { archive }),
    layout,
  });
}
