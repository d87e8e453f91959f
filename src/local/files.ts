import type { Stats } from "node:fs";
import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "../config/config.ts";
import { INPUT } from "../config/names.ts";
import {
  type BackfillDeps,
  type BackfillOptions,
  type BackfillResult,
  backfill,
  type Reporter,
} from "../engine/backfill.ts";
import type { CheckpointStore } from "../engine/checkpoint.ts";
import { type BackupIdentity, identityId, type RunRecordStore } from "../engine/record.ts";
import { releasedFingerprint } from "../engine/request.ts";
import type { EventSource } from "../engine/source.ts";
import { CheckpointRefusedError, UsageError } from "../errors.ts";
import { isMissing, type Probe, realPath, removeLeftoverTemps } from "../util/fs.ts";
import { acquireLock, type Lock } from "../util/lock.ts";
import { ArchiveFile, type MergeResult, mergeStep } from "./archive.ts";
import { FileCheckpointStore } from "./checkpoint-file.ts";
import { NdjsonFileSink } from "./output.ts";
import { FileRecordStore, recordPath } from "./record-file.ts";

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

/** A file the backfill writes, by the input that names it (the record, beside the output, by itself). */
interface Named {
  /** How a refusal names it: `Invalid <name>: ...`. */
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

/** What a path is when it is not a regular file (undefined for a regular file). */
function kindOf(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return "a folder";
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** The path's file, links followed; undefined when there is none. */
async function statOf(name: string, path: string): Promise<Stats | undefined> {
  return stat(path).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw unwritable(name, path, error);
  });
}

/**
 * Refuses anything but a regular file (a device, a named pipe, a socket, a folder: opening a pipe
 * would block, replacing a device would destroy it), at the path and where its lock goes.
 */
async function checkRegular(file: Named): Promise<void> {
  for (const path of [file.path, `${file.path}.lock`]) {
    const kind = (await statOf(file.name, path).then((info) => info && kindOf(info))) ?? "";
    if (kind === "") continue;
    const where = path === file.path ? path : `${path}, where its lock goes,`;
    throw new UsageError(
      `Invalid ${file.name}: ${where} is ${kind}, not a regular file. Allowed: the path of a regular file, or of none yet.`,
    );
  }
}

/**
 * Refuses a file that cannot be written; creates the folder if needed. Changes no file. A checkpoint
 * this user cannot open is refused as unreadable (exit 3), unless `restart` is to discard it.
 */
async function checkWritable(file: Named, restart: boolean): Promise<void> {
  const info = await statOf(file.name, file.path);
  try {
    await mkdir(dirname(file.path), { recursive: true });
    // Opening for writing without truncating proves it is writable and changes nothing.
    if (info && !(restart && file.what === "checkpoint")) await (await open(file.path, "r+")).close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (info && file.what === "checkpoint" && (code === "EACCES" || code === "EPERM")) {
      throw new CheckpointRefusedError(
        "unreadable",
        `The checkpoint ${file.path} is unreadable: this user cannot open it for reading and writing (${code}).`,
      );
    }
    throw unwritable(file.name, file.path, error);
  }
}

/** Every check of a path before anything is opened: kind, distinct from the others, writable. */
async function checkPaths(files: readonly Named[], restart: boolean): Promise<void> {
  for (const file of files) await checkRegular(file);
  await checkDistinct(files);
  for (const file of files) await checkWritable(file, restart);
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

/** Device and inode of the path's file (links followed), or its real path when there is none yet. */
async function identityOf(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info ? `${info.dev}:${info.ino}` : realPath(path);
}

/**
 * Refuses two of the files being one file, or one being where another's lock goes: the same device
 * and inode (hard links, symbolic links, `./y` and `y`), or the same real path for one not there yet.
 */
async function checkDistinct(files: readonly Named[]): Promise<void> {
  const ids = await Promise.all(
    files.map(async (f) => ({ file: await identityOf(f.path), lock: await identityOf(`${f.path}.lock`) })),
  );
  for (const [i, later] of files.entries()) {
    for (const [j, earlier] of files.slice(0, i).entries()) {
      const [a, b] = [ids[i], ids[j]] as [{ file: string; lock: string }, { file: string; lock: string }];
      if (a.file === b.file) {
        const instead =
          later.name === INPUT.checkpoint ? `, or leave it empty for ${earlier.path}.checkpoint.json` : "";
        throw new UsageError(
          `Invalid ${later.name}: ${later.path} is the same file as the ${earlier.what} ${earlier.path}. Allowed: another path${instead}.`,
        );
      }
      if (a.file === b.lock || a.lock === b.file || a.lock === b.lock) {
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
  await checkPaths(files, config.restart);
  const purpose = `A backfill into ${config.output}`;
  const locks: Lock[] = [];
  const release = async () => {
    for (const held of locks.splice(0)) await held.release();
  };
  try {
    for (const file of files) locks.push(await lock(file.name, file.path, purpose, hooks.onStale));
    // Now that no other run writes them, the temp files of killed writes can go: the checkpoint's,
    // and the output a restore from the Actions cache was rebuilding.
    await removeLeftoverTemps(realPath(config.checkpoint));
    await removeLeftoverTemps(config.output);
    const archive =
      config.mergeInto === undefined ? undefined : new ArchiveFile(config.mergeInto, hooks.probe);
    await archive?.prepare();
    const openRecords = async (identity: BackupIdentity): Promise<FileRecordStore> => {
      const record = {
        name: "last-run record",
        what: "last-run record",
        path: recordPath(config.output, identityId(identity)),
      };
      // Checked as the others were, against them too; only the record is new here.
      await checkRegular(record);
      await checkDistinct([...files, record]);
      await checkWritable(record, false);
      locks.push(await lock(record.name, record.path, purpose, hooks.onStale));
      const print = releasedFingerprint(config.query);
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
  /** Where the backfill starts, and with `region: auto` the active region now (see BackfillDeps). */
  readonly regions: BackfillDeps["regions"];
  /** See BackfillOptions. */
  readonly run?: string;
  readonly expiredLastRun: BackfillOptions["expiredLastRun"];
  /** In place of `merge-into`'s merge: what follows completion (the S3 archive's commit). */
  readonly afterComplete?: BackfillDeps["afterComplete"];
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
    regions: run.regions,
    reporter: run.reporter,
    signal: run.signal,
    ...(records && { records }),
    ...(archive && { afterComplete: mergeStep(archive, config.output, (m) => (merged = m)) }),
    ...(run.afterComplete && { afterComplete: run.afterComplete }),
  });
  return { result, merged };
}
