import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

/**
 * `layout: heidi`: our output lines as the EventBridge envelopes that HEIDI's Athena table
 * `awshealthevent` reads (aws-samples/aws-health-events-insight, src/HealthModule/
 * HealthModuleDataSetSetup.yaml), so an existing HEIDI deployment sees a backfill like the events its
 * own pipeline collected. Pure: no S3 here; docs/heidi.md has the mapping field by field.
 */

/** The `source` HEIDI's own backfill sends; `heidi.health` is one of its table's `source_partition` values. */
export const HEIDI_SOURCE = "heidi.health";
/** The `detail-type` of the events AWS Health sends to EventBridge (no HEIDI query reads it). */
export const HEIDI_DETAIL_TYPE = "AWS Health Event";
/** Where HEIDI's table looks for `source_partition` `heidi.health`; the day (`yyyy/MM/dd`) follows. */
export const HEIDI_PREFIX = `DataCollection-data/${HEIDI_SOURCE}/`;
/** Uncompressed NDJSON held for one object before it is cut. */
export const HEIDI_MAX_BYTES = 8 * 1024 * 1024;

export interface HeidiContext {
  /** The credentials' account: the envelope's `account` when the line names no affected account. */
  readonly account: string;
  /** The locale the descriptions were asked in (`en_US`); `eventDescription[].language` when given. */
  readonly language?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

function instant(line: Json, field: string): Date | undefined {
  const value = line[field];
  if (value === undefined || value === null) return undefined;
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime()))
    throw new Error(`Event ${String(line.arn)}: ${field} ${JSON.stringify(value)} is not a time.`);
  return date;
}

/**
 * RFC 1123 as AWS Health's EventBridge events write times (`Fri, 05 Mar 2024 10:00:00 GMT`): HEIDI
 * parses them with `date_parse(x, '%a, %e %b %Y %H:%i:%s GMT')`, whose `%e` reads one or two digits
 * (Trino: Joda `appendDayOfMonth(1)`), so the zero-padded day of `toUTCString` parses. Milliseconds go,
 * as in AWS's events.
 */
export function rfc1123(date: Date): string {
  return date.toUTCString();
}

/** ISO 8601 as EventBridge writes an envelope's `time`: whole seconds, `Z`. */
function eventBridgeTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A UUID-shaped name of one version of an event for one account: the same version, the same id. */
function versionId(arn: string, account: string, lastUpdated: string): string {
  const h = createHash("sha256").update(`${arn}\n${account}\n${lastUpdated}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80; // version 8: custom (RFC 9562)
  h[8] = ((h[8] as number) & 0x3f) | 0x80; // the RFC's variant
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The accounts an organization event names (its affected accounts); none for account scope or PUBLIC. */
function accountsOf(line: Json): (string | undefined)[] {
  const listed = Array.isArray(line.affectedAccounts)
    ? line.affectedAccounts.filter((a): a is string => typeof a === "string")
    : [];
  const named = listed.length > 0 ? listed : objects(line.details).flatMap((d) => text(d.awsAccountId) ?? []);
  return named.length > 0 ? [...new Set(named)] : [undefined];
}

function entityOf(e: Json): Json {
  const tags = isObject(e.tags) ? Object.entries(e.tags) : [];
  return {
    entityValue: e.entityValue,
    // HEIDI's backfill writes UNKNOWN for an entity without a status code.
    status: text(e.statusCode) ?? "UNKNOWN",
    ...(text(e.entityArn) === undefined ? {} : { entityArn: e.entityArn }),
    ...(tags.length > 0 ? { entityTags: tags.map(([key, value]) => ({ key, value })) } : {}),
  };
}

/**
 * The HEIDI records of one output line: one envelope per affected account of an organization event
 * (HEIDI's `affectedAccount` is one account, and its queries rank versions per event and account),
 * else one, in the credentials' account, without `affectedAccount` (as HEIDI's own backfill sends).
 */
export function heidiRecords(line: Record<string, unknown>, context: HeidiContext): object[] {
  const arn = text(line.arn);
  if (arn === undefined) throw new Error("An output line without an arn cannot be written for HEIDI.");
  const lastUpdated = instant(line, "lastUpdatedTime");
  if (lastUpdated === undefined) throw new Error(`Event ${arn}: no lastUpdatedTime.`);
  const start = instant(line, "startTime");
  const end = instant(line, "endTime");
  const region = text(line.region);
  const details = objects(line.details);
  const entities = Array.isArray(line.entities) ? objects(line.entities) : undefined;
  return accountsOf(line).map((affected) => {
    const item =
      details.find((d) => affected !== undefined && d.awsAccountId === affected) ??
      details.find((d) => d.awsAccountId === undefined);
    const own = entities?.filter(
      (e) => affected === undefined || e.awsAccountId === undefined || e.awsAccountId === affected,
    );
    const account = affected ?? context.account;
    const description = text(item?.latestDescription);
    const detail: Json = {
      eventArn: arn,
      service: line.service,
      eventTypeCode: line.eventTypeCode,
      eventTypeCategory: line.eventTypeCategory,
      eventScopeCode: line.eventScopeCode,
      statusCode: line.statusCode,
      eventRegion: region,
      ...(start === undefined ? {} : { startTime: rfc1123(start) }),
      ...(end === undefined ? {} : { endTime: rfc1123(end) }),
      lastUpdatedTime: rfc1123(lastUpdated),
      ...(affected === undefined ? {} : { affectedAccount: affected }),
      ...(description === undefined
        ? {}
        : {
            eventDescription: [
              {
                ...(context.language === undefined ? {} : { language: context.language }),
                latestDescription: description,
              },
            ],
          }),
      ...(item?.eventMetadata === undefined ? {} : { eventMetadata: item.eventMetadata }),
      ...(own === undefined ? {} : { affectedEntities: own.map(entityOf) }),
    };
    return {
      version: "0",
      id: versionId(arn, account, lastUpdated.toISOString()),
      "detail-type": HEIDI_DETAIL_TYPE,
      source: HEIDI_SOURCE,
      account,
      // HEIDI keeps the version with the latest `time` per event and account: the version's own time
      // ranks a backfilled version below any newer one its pipeline received.
      time: eventBridgeTime(lastUpdated),
      // AWS Health sends the events of global services in us-east-1.
      region: region === undefined || region === "global" ? "us-east-1" : region,
      resources: (own ?? []).flatMap((e) => text(e.entityValue) ?? []),
      detail,
    };
  });
}

/**
 * The ids of a line's records, as `heidiRecords` gives them (one per affected account, each of event,
 * account and the exact lastUpdatedTime): how a record read back from HEIDI's folder is known again.
 */
export function heidiIds(line: Record<string, unknown>, context: HeidiContext): string[] {
  const arn = text(line.arn);
  const lastUpdated = instant(line, "lastUpdatedTime");
  if (arn === undefined || lastUpdated === undefined) return [];
  const at = lastUpdated.toISOString();
  return accountsOf(line).map((affected) => versionId(arn, affected ?? context.account, at));
}

/**
 * The `date_created` partition of a line's records (`yyyy/MM/dd`): the UTC day of its lastUpdatedTime,
 * the day HEIDI's pipeline (Firehose, by arrival) would have filed that version under.
 */
export function heidiDay(line: Record<string, unknown>): string {
  const date = instant(line, "lastUpdatedTime");
  if (date === undefined) throw new Error(`Event ${String(line.arn)}: no lastUpdatedTime.`);
  return date.toISOString().slice(0, 10).replaceAll("-", "/");
}

export interface HeidiObject {
  /** `yyyy/MM/dd`: the object goes under `DataCollection-data/heidi.health/<day>/`. */
  readonly day: string;
  /** 1, 2, ... per day, in the order the objects come. */
  readonly part: number;
  /** Gzipped NDJSON, one envelope a line. */
  readonly body: Uint8Array;
  readonly records: number;
  /** Uncompressed bytes. */
  readonly bytes: number;
}

const gzipAsync = promisify(gzip);

/**
 * Our output lines (newest first, so a day's events mostly come together) as gzipped NDJSON objects,
 * one day each. An object is cut when the day changes or when the next event would take it past
 * `maxBytes` uncompressed (an event alone larger than that gets an object of its own); a day that comes
 * back later gets its next part. Holds one object at a time, and one number per day seen.
 */
export async function* heidiObjects(
  lines: AsyncIterable<string>,
  context: HeidiContext,
  maxBytes: number = HEIDI_MAX_BYTES,
): AsyncGenerator<HeidiObject> {
  const parts = new Map<string, number>();
  const encoder = new TextEncoder();
  let day: string | undefined;
  let chunks: Uint8Array[] = [];
  let bytes = 0;
  let records = 0;
  const cut = async (): Promise<HeidiObject> => {
    const d = day as string;
    const part = (parts.get(d) ?? 0) + 1;
    parts.set(d, part);
    const body = new Uint8Array(await gzipAsync(Buffer.concat(chunks, bytes)));
    const out = { day: d, part, body, records, bytes };
    chunks = [];
    bytes = 0;
    records = 0;
    return out;
  };
  for await (const raw of lines) {
    if (raw.trim() === "") continue;
    const line: unknown = JSON.parse(raw);
    if (!isObject(line)) throw new Error("An output line is not a JSON object.");
    const lineDay = heidiDay(line);
    const encoded = heidiRecords(line, context).map((r) => encoder.encode(`${JSON.stringify(r)}\n`));
    const size = encoded.reduce((n, b) => n + b.length, 0);
    if (records > 0 && (lineDay !== day || bytes + size > maxBytes)) yield await cut();
    day = lineDay;
    chunks.push(...encoded);
    bytes += size;
    records += encoded.length;
  }
  if (records > 0) yield await cut();
}
