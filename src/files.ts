import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "./config/config.ts";
import { INPUT } from "./config/names.ts";
import { UsageError } from "./errors.ts";
import { NdjsonFileSink } from "./sinks/ndjson-sink.ts";
import { FileCheckpointStore } from "./stores/file-store.ts";
import { isMissing, type Probe, realPath, removeLeftoverTemps } from "./util/fs.ts";
import { acquireLock, type Lock } from "./util/lock.ts";

/** The output and the checkpoint of one backfill, checked and locked; `release` when done. */
export interface LocalFiles {
  readonly sink: NdjsonFileSink;
  readonly store: FileCheckpointStore;
  release(): Promise<void>;
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

/**
 * Checks the paths the user gave before anything is touched (exit 2 on a bad one), then takes one
 * lock on the output and one on the checkpoint, so two runs never write the same file, and removes
 * the temp files that killed checkpoint writes left beside the checkpoint.
 */
export async function openLocalFiles(
  config: Config,
  o: { readonly probe?: Probe | undefined; readonly onStale: (message: string) => void },
): Promise<LocalFiles> {
  const { output, checkpoint } = config;
  if (realPath(output) === realPath(checkpoint)) {
    throw new UsageError(
      `Invalid ${INPUT.checkpoint}: ${checkpoint} is the same file as the output ${output}. Allowed: another path, or leave it empty for ${output}.checkpoint.json.`,
    );
  }
  if (
    realPath(checkpoint) === realPath(`${output}.lock`) ||
    realPath(output) === realPath(`${checkpoint}.lock`)
  ) {
    throw new UsageError(
      `Invalid ${INPUT.checkpoint}: ${checkpoint} is where the lock of ${output} goes. Allowed: another path.`,
    );
  }
  await checkWritable(INPUT.output, output);
  await checkWritable(INPUT.checkpoint, checkpoint);
  const purpose = `A backfill into ${output}`;
  const locks: Lock[] = [];
  const release = async () => {
    for (const held of locks.splice(0)) await held.release();
  };
  try {
    locks.push(await lock(INPUT.output, output, purpose, o.onStale));
    locks.push(await lock(INPUT.checkpoint, checkpoint, purpose, o.onStale));
    // Now that no other run writes the checkpoint, the temp files of killed writes can go.
    await removeLeftoverTemps(checkpoint);
  } catch (error) {
    await release();
    throw error;
  }
  return {
    sink: new NdjsonFileSink(output, o.probe),
    store: new FileCheckpointStore(checkpoint, o.probe),
    release,
  };
}
