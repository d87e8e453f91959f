import { AsyncLocalStorage } from "node:async_hooks";
import { EOL } from "node:os";

/**
 * Quiet logs for the Actions cache. `@actions/cache` prints a dozen lines per save or restore (the tar
 * command, "Sent N of N", cache sizes) and offers no option to silence them; with an upload per page
 * they would bury the backfill's own lines. Everything a cache call prints, from its timers, streams
 * and child processes too, is followed with AsyncLocalStorage, kept for the caller (the reason of a
 * failure, the archive size), and shown as debug lines: visible with step debug logging
 * (https://docs.github.com/en/actions/how-tos/monitor-workflows/enable-debug-logging).
 */
export class CacheOutput {
  readonly lines: string[] = [];
  #partial = "";

  /** Takes written text; returns the lines it completed. */
  take(text: string): string[] {
    const parts = (this.#partial + text).split(/\r?\n/);
    this.#partial = parts.pop() ?? "";
    const complete = parts.filter((line) => line !== "");
    this.lines.push(...complete);
    return complete;
  }

  /** The last line that says why a call did not do its work, without its workflow-command prefix. */
  reason(): string | undefined {
    const problem = this.lines.findLast(
      (l) => /^::(warning|error)( [^:]*)?::/.test(l) || /^(Failed to|Cache (save|restore) skipped)/.test(l),
    );
    return problem === undefined ? undefined : unescapeData(problem.replace(/^::\w+( [^:]*)?::/, ""));
  }

  /** The first number a line matching `pattern` carries in its first group. */
  number(pattern: RegExp): number | undefined {
    for (const line of this.lines) {
      const match = pattern.exec(line);
      if (match?.[1] !== undefined) return Number(match[1]);
    }
    return undefined;
  }
}

const gathering = new AsyncLocalStorage<CacheOutput>();

/** Runs `fn` with everything it prints gathered into `output` and shown as debug lines. */
export function quietly<T>(output: CacheOutput, fn: () => Promise<T>): Promise<T> {
  return gathering.run(output, fn);
}

/** Workflow command data escaping (https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function unescapeData(text: string): string {
  return text.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/**
 * One gathered line as it reaches the log: debug lines stay, warnings and errors become debug lines
 * (the caller words its own warning, with the reason), plain lines become debug lines, and any other
 * workflow command (`::add-mask::` of a signed URL) passes unchanged.
 */
function shown(line: string): string {
  const command = /^::([\w-]+)( [^:]*)?::(.*)$/.exec(line);
  if (!command) return `::debug::${escapeData(line)}`;
  const [, name, , data] = command;
  if (name === "debug") return line;
  if (name === "warning" || name === "error" || name === "notice") return `::debug::${name}: ${data}`;
  return line;
}

/**
 * Sends what cache calls (inside `quietly`) write to stdout to the debug log; every other write passes
 * unchanged. Returns the function that puts stdout back. The entry's `run()` installs it.
 */
export function routeCacheOutput(stream: NodeJS.WriteStream = process.stdout): () => void {
  const original = stream.write;
  const pass = original as (this: NodeJS.WriteStream, ...args: unknown[]) => boolean;
  const write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const output = gathering.getStore();
    if (output === undefined) return pass.call(this, chunk, ...rest);
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    const lines = output.take(text).map((line) => `${shown(line)}${EOL}`);
    const callback = rest.find((r) => typeof r === "function") as ((error?: Error) => void) | undefined;
    if (lines.length > 0) return pass.call(this, lines.join(""), callback);
    callback?.();
    return true;
  };
  stream.write = write as typeof stream.write;
  return () => {
    if (stream.write === write) stream.write = original;
  };
}
