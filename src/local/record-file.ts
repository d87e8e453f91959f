import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  type BackupIdentity,
  identityId,
  type LegacyRecord,
  parseLegacyRecord,
  parseRecord,
  RECORD_VERSION,
  RecordUnreadableError,
  type RunRecord,
  type RunRecordStore,
  serializeRecord,
} from "../engine/record.ts";
import { type Probe, readIfThere, realPath, removeLeftoverTemps, writeFileAtomic } from "../util/fs.ts";
import { isObject, parseDocument } from "../util/json.ts";
import { forEachLine } from "../util/lines.ts";

const PREFIX = "health-backfill.last-run.";

/**
 * Where the script keeps the record of the last complete run of a backup: beside the output, one file
 * per backup (its identity's id is in the name). So a daily run that writes each delta to a dated file
 * in the same folder still finds yesterday's record, and two backups there never share one.
 */
export function recordPath(output: string, id: string): string {
  return join(dirname(output), `${PREFIX}${id}.json`);
}

/** Release 0.1.0's record of a query: the same folder, named by the query's fingerprint alone. */
export interface LegacyRecordFile {
  readonly path: string;
  /** The query fingerprint release 0.1.0 named it by (page size included). */
  readonly fingerprint: string;
  /** This backup's output and destination (the archive, else the output), which the run that wrote the record left. */
  readonly output: string;
  readonly destination: string;
}

/** The record as a small local JSON file, replaced atomically (temp file, fsync, rename). */
export class FileRecordStore implements RunRecordStore {
  readonly location: string;
  readonly identity: BackupIdentity;
  readonly #legacy: LegacyRecordFile | undefined;
  readonly #probe: Probe | undefined;

  constructor(
    path: string,
    identity: BackupIdentity,
    options: { readonly legacy?: LegacyRecordFile | undefined; readonly probe?: Probe | undefined } = {},
  ) {
    this.location = path;
    this.identity = identity;
    this.#legacy = options.legacy;
    this.#probe = options.probe;
  }

  async load(): Promise<RunRecord | undefined> {
    const text = await readIfThere(this.location);
    if (text !== undefined) return parseRecord(text, this.location, this.identity);
    return this.#legacy && adoptLegacy(this.#legacy, this.identity);
  }

  async save(record: RunRecord): Promise<void> {
    // The probe names are the record's own, so a crash test can aim at this write and not the checkpoint's.
    const probe = this.#probe && ((point: string) => this.#probe?.(point.replace("checkpoint-", "record-")));
    await removeLeftoverTemps(realPath(this.location)); // only the holder of the destination's lock writes it
    await writeFileAtomic(this.location, serializeRecord(record), probe);
  }
}

/**
 * Release 0.1.0 kept one record per set of flags and folder, so two backups with the same flags (two
 * accounts, two archives) shared it, and it cannot say whose it is. It is taken over only when this
 * backup's files are what the run that wrote it left: no other backup took it over already, the archive
 * (else the output) was written in the seconds before the record, and the output holds as many events
 * as it records. Otherwise the run starts from `first-since` and says why: a window too many is merged
 * away, a window too few is lost.
 */
/**
 * The text of release 0.1.0's record, or undefined when there is none. Only a regular file is read (a
 * named pipe would block the run, a folder is no record); one that is not, or cannot be read, is named.
 */
async function readLegacy(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  const unusable = (why: string) =>
    new RecordUnreadableError(
      `The record release 0.1.0 kept for these flags, ${path}, ${why}, so it is not used.`,
    );
  if (!info.isFile()) throw unusable("is not a regular file");
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw unusable(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
}

async function adoptLegacy(
  legacy: LegacyRecordFile,
  identity: BackupIdentity,
): Promise<RunRecord | undefined> {
  const text = await readLegacy(legacy.path);
  if (text === undefined) return undefined;
  const old = parseLegacyRecord(text, legacy.path, legacy.fingerprint);
  const doubt = (await claimedElsewhere(legacy.path, identity)) ?? (await notThisBackup(legacy, old));
  if (doubt) {
    throw new RecordUnreadableError(
      `The record release 0.1.0 kept for these flags, ${legacy.path}, may be another backup's (${doubt}), so it is not used.`,
    );
  }
  return {
    version: RECORD_VERSION,
    id: identityId(identity),
    identity,
    ...old,
    adoptedFrom: basename(legacy.path),
  };
}

/** Another backup's record that already took over the legacy record, in words; undefined if none. */
async function claimedElsewhere(path: string, identity: BackupIdentity): Promise<string | undefined> {
  const dir = dirname(path);
  const mine = identityId(identity);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX) || name === basename(path) || name === `${PREFIX}${mine}.json`) continue;
    const other = join(dir, name);
    // Regular files only: reading a named pipe would block the run.
    const regular = (await stat(other).catch(() => undefined))?.isFile() === true;
    const doc = regular ? await readIfThere(other).catch(() => undefined) : undefined;
    const record = parseOther(doc);
    if (record?.adoptedFrom === basename(path)) {
      return `the backup of ${record.identity.destination} in account ${record.identity.account} took it over already`;
    }
  }
  return undefined;
}

function parseOther(text: string | undefined): RunRecord | undefined {
  const doc = parseDocument(text);
  return doc?.version === RECORD_VERSION && isObject(doc.identity)
    ? (doc as unknown as RunRecord)
    : undefined;
}

/**
 * How long before its record a backup's destination (the archive, else the output) was last written:
 * the merge renames the archive, then the record follows at once. Two backups that shared a legacy
 * record completed at different times, so only the one that wrote it fits.
 */
const WRITTEN_BEFORE_RECORD_MS = 5_000;

/** Why this backup's files are not what the run that wrote the legacy record left; undefined if they are. */
async function notThisBackup(legacy: LegacyRecordFile, old: LegacyRecord): Promise<string | undefined> {
  const info = await stat(legacy.destination).catch(() => undefined);
  if (!info?.isFile()) return `this backup's ${legacy.destination} is not there to compare`;
  const completed = Date.parse(old.completedAt);
  if (info.mtimeMs > completed + 1000 || info.mtimeMs < completed - WRITTEN_BEFORE_RECORD_MS) {
    return `it was written at ${old.completedAt}, this backup's ${legacy.destination} at ${new Date(info.mtimeMs).toISOString()}`;
  }
  if (legacy.destination === legacy.output) return undefined;
  const output = await stat(legacy.output).catch(() => undefined);
  if (!output?.isFile()) return undefined; // a dated output of an earlier day: the archive decides
  let lines = 0;
  await forEachLine(legacy.output, (line) => {
    if (line.text.trim() !== "") lines += 1;
  });
  if (lines !== old.events) {
    return `it records ${old.events} events, this backup's output ${legacy.output} holds ${lines}`;
  }
  return undefined;
}
