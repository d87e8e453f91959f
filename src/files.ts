import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "./config/config.ts";
import { INPUT } from "./config/names.ts";
import { type BackfillOptions, type BackfillResult, backfill, type Reporter } from "./engine/backfill.ts";
import type { CheckpointStore } from "./engine/checkpoint.ts";
import { type BackupIdentity, identityId, type RunRecordStore } from "./engine/record.ts";
import { fingerprint } from "./engine/request.ts";
import type { EventSource } from "./engine/source.ts";
import { UsageError } from "./errors.ts";
import { ArchiveFile, type MergeResult, mergeStep } from "./sinks/archive.ts";
import { NdjsonFileSink } from "./sinks/ndjson-sink.ts";
import { FileCheckpointStore } from "./stores/file-store.ts";
import { FileRecordStore, recordPath } from "./stores/record-file.ts";
import { isMissing, type Probe, realPath, removeLeftoverTemps } from "./util/fs.ts";
import { acquireLock, type Lock } from "./util/lock.ts";

/**
 * The output and the checkpoint of one backfill, checked and locked; with `merge-into` the archive (read
 * and checked already). `release` when done.
 */
export interface LocalFiles {
  readonly sink: NdjsonFileSink;
  readonly store: FileCheckpointStore;
  readonly archive?: ArchiveFile;
  /**
   * The record of the last complete run of the backup `identity` (`since: last-run`), checked and
   * locked like the other files. Opened once the identity is known: it needs the credentials' account.
   */
  openRecords(identity: BackupIdentity): Promise<FileRecordStore>;
  release(): Promise<void>;
}

/** A file the backfill writes, by the input that names it (the record has none: it is ours). */
interface Named {
  readonly name: string;
  readonly what: string;
  readonly path: string;
}

/** Codes that mean "this path cannot be written", as opposed to a passing fault. */
const UNWRITABLE = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "EISDIR",
  "EEXIST",
  "ENAMETOOLONG",
  "ELOOP",
]);

function unwritable(name: string, path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (!UNWRITABLE.has(code)) return error;
  return new UsageError(
    `Invalid ${name}: cannot write ${path} (${code}). Allowed: a file path in a folder this user can write.`,
  );
}

/** Refuses a folder, an unwritable file or folder; creates the folder if needed. Changes no file. */
async function checkWritable(name: string, path: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw unwritable(name, path, error);
  });
  if (info?.isDirectory()) {
    throw new UsageError(`Invalid ${name}: ${path} is a folder. Allowed: a file path.`);
  }
  try {
    await mkdir(dirname(path), { recursive: true });
    // Opening for writing without truncating proves it is writable and changes nothing.
    if (info) await (await open(path, "r+")).close();
  } catch (error) {
    throw unwritable(name, path, error);
  }
}

async function lock(
  name: string,
  path: string,
  purpose: string,
  onStale: (m: string) => void,
): Promise<Lock> {
  try {
    return await acquireLock(path, { purpose, onStale });
  } catch (error) {
    throw unwritable(name, path, error);
  }
}

/** Refuses two of the files naming one file, or one naming where another's lock goes. */
function checkDistinct(files: readonly Named[]): void {
  for (const [i, later] of files.entries()) {
    for (const earlier of files.slice(0, i)) {
      if (realPath(later.path) === realPath(earlier.path)) {
        const instead =
          later.name === INPUT.checkpoint ? `, or leave it empty for ${earlier.path}.checkpoint.json` : "";
        throw new UsageError(
          `Invalid ${later.name}: ${later.path} is the same file as the ${earlier.what} ${earlier.path}. Allowed: another path${instead}.`,
        );
      }
      const lockOf = (a: Named, b: Named) => realPath(a.path) === realPath(`${b.path}.lock`);
      if (lockOf(later, earlier) || lockOf(earlier, later)) {
        throw new UsageError(
          `Invalid ${later.name}: ${later.path} and the ${earlier.what} ${earlier.path} collide: one is where the other's lock goes. Allowed: another path.`,
        );
      }
    }
  }
}

/** The files of this backfill, in the order they are checked and locked. */
function namedFiles(config: Config): Named[] {
  const files: Named[] = [
    { name: INPUT.output, what: "output", path: config.output },
    { name: INPUT.checkpoint, what: "checkpoint", path: config.checkpoint },
  ];
  if (config.mergeInto !== undefined) {
    files.push({ name: INPUT.mergeInto, what: "archive", path: config.mergeInto });
  }
  return files;
}

/**
 * Checks the paths the user gave before anything is touched (exit 2 on a bad one), then takes a lock
 * on each file the backfill writes, so two runs never write the same file, and removes the temp files
 * that killed checkpoint writes left beside the checkpoint. A `merge-into` archive is read and checked
 * line by line before any API call, so a malformed one is refused at once.
 */
export async function openLocalFiles(
  config: Config,
  hooks: { readonly probe?: Probe | undefined; readonly onStale: (message: string) => void },
): Promise<LocalFiles> {
  const files = namedFiles(config);
  checkDistinct(files);
  for (const file of files) await checkWritable(file.name, file.path);
  const purpose = `A backfill into ${config.output}`;
  const locks: Lock[] = [];
  const release = async () => {
    for (const held of locks.splice(0)) await held.release();
  };
  try {
    for (const file of files) locks.push(await lock(file.name, file.path, purpose, hooks.onStale));
    // Now that no other run writes them, the temp files of killed writes can go: the checkpoint's,
    // and the output a restore from the Actions cache was rebuilding.
    await removeLeftoverTemps(config.checkpoint);
    await removeLeftoverTemps(config.output);
    const archive =
      config.mergeInto === undefined ? undefined : new ArchiveFile(config.mergeInto, hooks.probe);
    await archive?.prepare();
    const openRecords = async (identity: BackupIdentity): Promise<FileRecordStore> => {
      const record = {
        name: INPUT.output,
        what: "last-run record",
        path: recordPath(config.output, identityId(identity)),
      };
      checkDistinct([...files, record]);
      await checkWritable(record.name, record.path);
      locks.push(await lock(record.name, record.path, purpose, hooks.onStale));
      const print = fingerprint(config.query);
      const legacy = {
        path: recordPath(config.output, print),
        fingerprint: print,
        output: config.output,
        destination: config.mergeInto ?? config.output,
      };
      return new FileRecordStore(record.path, identity, { legacy, probe: hooks.probe });
    };
    return {
      sink: new NdjsonFileSink(config.output, hooks.probe),
      store: new FileCheckpointStore(config.checkpoint, hooks.probe),
      ...(archive && { archive }),
      openRecords,
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** What a front door brings to a backfill of its local files. */
export interface LocalRun {
  readonly source: EventSource;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** AWS's time (see AwsClock): windows are pinned on it. */
  readonly awsClock: () => number;
  /** In place of the local checkpoint file (the action's, kept in step with the Actions cache). */
  readonly store?: CheckpointStore;
  /** The record of the last complete run, with `since: last-run`. */
  readonly records?: RunRecordStore;
  /** See BackfillOptions. */
  readonly run?: string;
  readonly expiredLastRun: BackfillOptions["expiredLastRun"];
}

/**
 * Backs up into the local files: the output and the checkpoint (or the store given in its place), the
 * last-run record given, and with `merge-into` the merge into the archive once the output is complete.
 */
export async function backfillInto(
  config: Config,
  files: LocalFiles,
  run: LocalRun,
): Promise<{ readonly result: BackfillResult; readonly merged: MergeResult | undefined }> {
  let merged: MergeResult | undefined;
  const { archive } = files;
  const { records } = run;
  const options = { ...config, run: run.run, expiredLastRun: run.expiredLastRun };
  const result = await backfill(options, {
    source: run.source,
    sink: files.sink,
    store: run.store ?? files.store,
    clock: Date.now,
    awsClock: run.awsClock,
    reporter: run.reporter,
    signal: run.signal,
    ...(records && { records }),
    ...(archive && { afterComplete: mergeStep(archive, config.output, (m) => (merged = m)) }),
  });
  return { result, merged };
}
