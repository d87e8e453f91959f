/**
 * Shared setup for the tests that drive the real `@actions/cache` against the fake cache service:
 * the runner-like environment, temp workspace handling, and capture of what `@actions/core` logs.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { type FakeCacheService, startFakeCacheService } from "../cache-service.ts";

/** Variables that would change which protocol or mode the client uses; unset for every test. */
const CLEARED = [
  "GITHUB_SERVER_URL", // http://localhost counts as GHES and forces the v1 protocol
  "ACTIONS_CACHE_URL",
  "ACTIONS_CACHE_MODE",
  "RUNNER_DEBUG", // would list the archive with an extra tar run
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "http_proxy",
  "https_proxy",
] as const;

/**
 * A fake cache service and the runner environment @actions/cache reads, started before each test of
 * the file that calls this and stopped after it: the setup every cache test shares.
 */
export function withFakeCache(): { readonly service: FakeCacheService; readonly env: CacheTestEnv } {
  const current = {} as { service: FakeCacheService; env: CacheTestEnv };
  beforeEach(async () => {
    current.service = await startFakeCacheService();
    current.env = await useCacheEnv(current.service);
  });
  afterEach(async () => {
    await current.env.dispose();
    await current.service.close();
  });
  return current;
}

export interface CacheTestEnv {
  /** GITHUB_WORKSPACE: archive paths are stored relative to it. */
  workspace: string;
  /** Restores process.env and removes the temp folders. */
  dispose(): Promise<void>;
}

/** Sets process.env like a runner gives it to a JavaScript action, pointing at `service`. */
export async function useCacheEnv(service: FakeCacheService): Promise<CacheTestEnv> {
  const saved = { ...process.env };
  const root = await mkdtemp(join(tmpdir(), "cache-test-"));
  const workspace = join(root, "workspace");
  const runnerTemp = join(root, "runner-temp");
  await mkdir(workspace);
  await mkdir(runnerTemp);
  for (const name of CLEARED) delete process.env[name];
  Object.assign(process.env, service.env(), {
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  });
  return {
    workspace,
    async dispose() {
      for (const name of Object.keys(process.env)) {
        if (!(name in saved)) delete process.env[name];
      }
      Object.assign(process.env, saved);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Writes files (relative path -> content) under `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** Every file under `root` as relative path -> bytes. */
export async function readTree(root: string): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    result.set(relative(root, full), await readFile(full));
  }
  return new Map([...result].sort(([a], [b]) => a.localeCompare(b)));
}

/** Empties a folder but keeps it: on a runner the workspace path is the same in every attempt. */
export async function wipeContents(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
}

export interface Captured<T> {
  value: T;
  /** Lines `@actions/core` wrote to stdout: plain info lines and `::warning::`, `::error::`, `::debug::` commands. */
  lines: string[];
  ms: number;
}

export function linesOf(captured: Captured<unknown>, kind: "info" | "warning" | "error" | "debug"): string[] {
  if (kind === "info") return captured.lines.filter((l) => !l.startsWith("::"));
  const prefix = `::${kind}::`;
  return captured.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/**
 * Runs `fn` with process.stdout captured (and kept out of the test report). If `fn` throws, the
 * error is rethrown after stdout is restored; use `captureSettled` to keep the output as well.
 */
export async function capture<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const original = process.stdout.write;
  let buffer = "";
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  const start = performance.now();
  try {
    const value = await fn();
    return { value, lines: buffer.split(/\r?\n/).filter((l) => l !== ""), ms: performance.now() - start };
  } finally {
    process.stdout.write = original;
  }
}

/** Like `capture`, but a rejection becomes `{ value: { error } }` so its log lines can be asserted too. */
export function captureSettled<T>(
  fn: () => Promise<T>,
): Promise<Captured<{ ok: true; value: T } | { ok: false; error: unknown }>> {
  return capture(async () => {
    try {
      return { ok: true as const, value: await fn() };
    } catch (error) {
      return { ok: false as const, error };
    }
  });
}

/**
 * Replaces global setTimeout so that waits of at least `minMs` last 1 ms, and records the waits asked
 * for. The client's retry sleeps (3 s, 4.5-6.75 s, ... for Twirp, 5 s for downloads) would otherwise
 * take about 30 s per failing call; the recorded delays show what a real run would wait.
 */
export function shortenLongTimers(minMs = 2000): { requested: number[]; restore(): void } {
  const original = globalThis.setTimeout;
  const requested: number[] = [];
  const replacement = (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const delay = ms ?? 0;
    if (delay >= minMs) requested.push(delay);
    return original(handler, delay >= minMs ? 1 : delay, ...args);
  };
  globalThis.setTimeout = replacement as typeof globalThis.setTimeout;
  return {
    requested,
    restore() {
      globalThis.setTimeout = original;
    },
  };
}
