import { readlinkSync, realpathSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Named moments in a write, for crash tests: the test kills the process at exactly that point.
 * Production passes nothing.
 */
export type Probe = (point: string) => void;

/**
 * Removes the temp files that writes of `path` by killed processes left (`.<name>.<pid>.tmp`, as
 * writeFileAtomic and the archive merge name them), and nothing else; returns how many. Only for a
 * caller that holds the lock of `path`: then no other process is writing one, and every such file is
 * left over. Housekeeping: a folder it cannot read or a file it cannot remove is left as it is.
 */
export async function removeLeftoverTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !/^\d+\.tmp$/.test(name.slice(prefix.length))) continue;
    await unlink(join(dir, name)).then(
      () => (removed += 1),
      () => {},
    );
  }
  return removed;
}

/**
 * Writes a file atomically: temp file, fsync, rename, fsync the directory (as Kafka writes its
 * checkpoint files; see docs/formats.md, "Checkpoint"). A symbolic link is followed: the file it points to is
 * replaced, the link stays.
 */
export async function writeFileAtomic(link: string, contents: string, probe?: Probe): Promise<void> {
  const path = realPath(link);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temp, "w");
  try {
    await file.writeFile(contents);
    probe?.("checkpoint-temp-written");
    await file.sync();
  } finally {
    await file.close();
  }
  probe?.("checkpoint-temp-synced");
  await rename(temp, path);
  await syncDirectory(dir);
  probe?.("checkpoint-renamed");
}

/** Makes a rename in `dir` durable where the platform allows it. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some platforms and runtimes cannot open or fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** The file's text, or undefined when there is no such file. */
export async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/**
 * The real path a path names, also when the file does not exist yet (its nearest existing folder
 * resolved, the rest appended; a link to nothing followed to where its file would be), so two
 * spellings of one file compare equal: `./y` and `y`, links. Writes go there, so a link stays a link.
 */
export function realPath(path: string, hops = 0): string {
  const absolute = resolve(path);
  try {
    return realpathSync.native(absolute);
  } catch {
    const target = hops < 40 ? linkTarget(absolute) : undefined;
    if (target !== undefined) return realPath(resolve(dirname(absolute), target), hops + 1);
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
  }
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
