import { createHash } from "node:crypto";
import { canonicalJson, isObject, parseDocument } from "../util/json.ts";
import type { StateStore } from "./checkpoint.ts";

/**
 * The record of the last complete backfill of one backup, read by `since: last-run`. It is written only
 * when a backfill completes, so an interrupted run never moves it: the next run covers that window again.
 * Version 2 belongs to a backup (whose events, where they go); version 1 (release 0.1.0) belonged to a
 * set of flags, which two accounts backed up with the same flags shared.
 */
export const RECORD_VERSION = 2;

/**
 * One scheduled backup: whose events and where they go. Two backups never share a record. Changing how
 * events are fetched (page size) keeps the identity; changing what is backed up (scope, filter, details,
 * locale) or where from or where to makes another backup, which starts from `first-since`.
 */
export interface BackupIdentity {
  /** The AWS account the credentials belong to (STS GetCallerIdentity). */
  readonly account: string;
  /** Where the events come from: the Health endpoint, or the simulator. */
  readonly endpoint: string;
  /** Where they go: the archive (`merge-into`), else the output, as a real path (the action: relative to the workspace). */
  readonly destination: string;
  /** The action's workflow file (`owner/repo/.github/workflows/backup.yml`); absent for the script. */
  readonly workflow?: string;
  /** What is backed up: the fingerprint of the query without `page-size`. */
  readonly query: string;
}

/** A short, stable name of a backup: record file names and cache keys use it. */
export function identityId(identity: BackupIdentity): string {
  return createHash("sha256").update(canonicalJson(identity)).digest("hex").slice(0, 16);
}

export interface RunRecord {
  readonly version: typeof RECORD_VERSION;
  /** identityId(identity): a record is used only by the backup it names. */
  readonly id: string;
  readonly identity: BackupIdentity;
  /** The window that run backed up; `until` (AWS's time) is where the next incremental run continues. */
  readonly from?: string;
  readonly until: string;
  readonly completedAt: string;
  readonly events: number;
  readonly pages: number;
  /** The run that wrote it (the action's workflow run): a later attempt of that run repeats its window. */
  readonly run?: string;
  /** The release 0.1.0 record this backup took over, so that no other backup takes it over too. */
  readonly adoptedFrom?: string;
}

/**
 * Where the record lives (a file beside the output, or the Actions cache), for one backup. `load` throws
 * RecordUnreadableError for one it cannot use.
 */
export interface RunRecordStore extends StateStore<RunRecord> {
  readonly identity: BackupIdentity;
}

/** A record exists but cannot be used; the run falls back to `first-since` and says why. */
export class RecordUnreadableError extends Error {
  override name = "RecordUnreadableError";
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isIdentity(value: unknown): value is BackupIdentity {
  if (!isObject(value)) return false;
  const { account, endpoint, destination, workflow, query } = value;
  const strings = [account, endpoint, destination, query].every((v) => typeof v === "string");
  return strings && (workflow === undefined || typeof workflow === "string");
}

function timesProblem(doc: Record<string, unknown>): string | undefined {
  if (!isTime(doc.until)) return "until is not a time";
  if (doc.from !== undefined && !isTime(doc.from)) return "from is not a time";
  if (!isTime(doc.completedAt)) return "completedAt is not a time";
  if (!isCount(doc.events) || !isCount(doc.pages)) return "events or pages is not a count";
  return undefined;
}

function problemOf(doc: Record<string, unknown>, identity: BackupIdentity): string | undefined {
  if (doc.version !== RECORD_VERSION)
    return `version ${JSON.stringify(doc.version)} is not ${RECORD_VERSION}`;
  if (!isIdentity(doc.identity) || doc.id !== identityId(doc.identity)) return "its identity is incomplete";
  if (doc.id !== identityId(identity)) {
    const other = doc.identity;
    return `it belongs to another backup (account ${other.account}, ${other.destination})`;
  }
  if (doc.run !== undefined && typeof doc.run !== "string") return "run is not a string";
  return timesProblem(doc);
}

/** The record in `text`, checked against the backup's identity; throws RecordUnreadableError. */
export function parseRecord(text: string, location: string, identity: BackupIdentity): RunRecord {
  const doc = parseDocument(text);
  const problem = doc ? problemOf(doc, identity) : "it is not a JSON object";
  if (problem) throw new RecordUnreadableError(`The last-run record ${location} is unreadable: ${problem}.`);
  return doc as unknown as RunRecord;
}

/** What a release 0.1.0 record (version 1, kept per query fingerprint) says. */
export type LegacyRecord = Pick<RunRecord, "from" | "until" | "completedAt" | "events" | "pages">;

/** A version 1 record of the query with fingerprint `fingerprint`; throws RecordUnreadableError. */
export function parseLegacyRecord(text: string, location: string, fingerprint: string): LegacyRecord {
  const doc = parseDocument(text);
  let problem = doc ? timesProblem(doc) : "it is not a JSON object";
  if (doc && doc.version !== 1) problem = `version ${JSON.stringify(doc.version)} is not 1`;
  else if (doc && doc.fingerprint !== fingerprint) problem = "it belongs to another query";
  if (problem)
    throw new RecordUnreadableError(`The release 0.1.0 record ${location} is unreadable: ${problem}.`);
  const { from, until, completedAt, events, pages } = doc as unknown as LegacyRecord & { from?: string };
  return { ...(from === undefined ? {} : { from }), until, completedAt, events, pages };
}

export function serializeRecord(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
