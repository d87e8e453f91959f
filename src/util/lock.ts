import { readFileSync } from "node:fs";
import { link, open, readdir, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { LockedError } from "../errors.ts";
import { isMissing } from "./fs.ts";

/**
 * An exclusive lock that dies with its process: a file `<path>.lock` naming the holder (pid, host,
 * process start). Node has no flock, so a lock left by a killed run is recognised as stale and taken
 * over: on the same machine when its process is gone (or the pid now belongs to another process, as
 * after a reboot or in a container), elsewhere when the holder stopped refreshing it.
 */
export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  /** Identifies the process beyond its pid where the system tells (Linux: boot id and start tick). */
  readonly process?: string;
  readonly since: string;
  readonly purpose: string;
}

/** A holder on another machine is presumed gone when its lock was not refreshed for this long. */
export const STALE_AFTER_MS = 10 * 60_000;
const REFRESH_MS = 60_000;

function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counts from the end of the command name, which may hold spaces.
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return start ? `${boot}:${start}` : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Why the holder of a lock is certainly gone, so the lock can be taken over; undefined while it may
 * still hold it. A lock that is not ours to read (garbage, another program's) is taken over only when
 * nobody changed it for as long as another machine's holder is trusted.
 */
function goneBecause({ holder, modifiedMs, size }: Found, now: number): string | undefined {
  const quiet = now - modifiedMs > STALE_AFTER_MS;
  const minutes = STALE_AFTER_MS / 60_000;
  if (!holder) {
    // An empty file is an exclusive create cut short.
    if (size === 0 && now - modifiedMs > 5_000) return "it is empty, a creation cut short";
    if (!quiet) return undefined;
    return `it does not name a holder this program wrote and was not changed for ${minutes} minutes`;
  }
  const who = `its holder (pid ${holder.pid} on ${holder.host})`;
  if (holder.host !== hostname()) {
    return quiet ? `${who} did not refresh it for ${minutes} minutes` : undefined;
  }
  if (!isRunning(holder.pid)) return `${who} is no longer running`;
  const identity = processIdentity(holder.pid);
  const reused = holder.process !== undefined && identity !== undefined && identity !== holder.process;
  return reused ? `${who} is no longer running (its pid now belongs to another process)` : undefined;
}

function describe(found: Found, path: string, now: number): string {
  const { holder } = found;
  if (holder) {
    return `${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.since}) holds the lock ${path}.`;
  }
  if (found.size === 0) return `The lock ${path} is being taken by another process.`;
  const left = Math.max(1, Math.ceil((found.modifiedMs + STALE_AFTER_MS - now) / 60_000));
  return `The lock ${path} does not name a holder this program wrote; it is taken over once nobody has changed it for ${STALE_AFTER_MS / 60_000} minutes (in ${left} more).`;
}

interface Found {
  readonly text: string;
  readonly holder: Holder | undefined;
  readonly modifiedMs: number;
  readonly size: number;
}

async function readHolder(path: string): Promise<Found> {
  const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
  let holder: Holder | undefined;
  try {
    holder = JSON.parse(text) as Holder;
  } catch {
    holder = undefined;
  }
  return {
    text,
    holder: typeof holder?.pid === "number" ? holder : undefined,
    modifiedMs: info.mtimeMs,
    size: info.size,
  };
}

/** Creates `path` holding `contents`, or fails with EEXIST; the file never exists half-written. */
async function createWhole(path: string, contents: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, "w");
  try {
    await file.writeFile(contents);
  } finally {
    await file.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Some file systems cannot hard-link: fall back to an exclusive create.
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw error;
    const direct = await open(path, "wx");
    await direct.writeFile(contents).finally(() => direct.close());
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes the temp files of lock creations that a kill cut short (`<lock>.<pid>.tmp`): those of a pid
 * no longer running here. One that names a holder on another machine is left to that machine; an empty
 * one whose pid lives elsewhere may be removed, and its creator then simply tries again.
 */
async function removeAbandonedTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue;
    const temp = join(dir, name);
    const found = await readHolder(temp).catch(() => undefined);
    if (found?.holder !== undefined && found.holder.host !== hostname()) continue;
    await unlink(temp).catch(() => {});
  }
}

export interface LockOptions {
  /** Who holds it, for the message another run prints ("A backfill into out.ndjson"). */
  readonly purpose: string;
  /** Told when a stale lock is taken over. */
  readonly onStale?: (message: string) => void;
  readonly clock?: () => number;
}

/**
 * Takes the lock `<file>.lock`, or throws LockedError naming the holder. The lock is refreshed while
 * held (so another machine can tell it is alive) and removed by `release`.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<Lock> {
  const path = `${file}.lock`;
  const clock = options.clock ?? Date.now;
  const identity = processIdentity(process.pid);
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    ...(identity === undefined ? {} : { process: identity }),
    since: new Date(clock()).toISOString(),
    purpose: options.purpose,
  };
  const mine = `${JSON.stringify(me)}\n`;
  await removeAbandonedTemps(path);
  for (let tries = 0; ; tries++) {
    try {
      await createWhole(path, mine);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: another machine's run removed our temp file as a leftover (see removeAbandonedTemps).
      if (code === "ENOENT" && tries < 2) continue;
      if (code !== "EEXIST") throw error;
    }
    const found = await readHolder(path).catch((error: unknown) => {
      if (isMissing(error)) return undefined; // released meanwhile: try again
      throw error;
    });
    const why = found && goneBecause(found, clock());
    if (found && (tries >= 2 || why === undefined)) {
      throw new LockedError(describe(found, path, clock()));
    }
    // Remove the stale lock only if it is still the one judged stale: another run may have taken
    // it over meanwhile.
    if (found && (await readFile(path, "utf8").catch(() => "")) === found.text) {
      await unlink(path).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
      options.onStale?.(`Took over the lock ${path}: ${why}.`);
    }
  }
  const timer = setInterval(() => {
    const now = new Date(clock());
    utimes(path, now, now).catch(() => {});
  }, REFRESH_MS);
  timer.unref();
  return {
    path,
    release: async () => {
      clearInterval(timer);
      if ((await readFile(path, "utf8").catch(() => "")) === mine) await unlink(path).catch(() => {});
    },
  };
}
