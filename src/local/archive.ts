import { chmod, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { INPUT } from "../config/names.ts";
import { errorMessage, UsageError } from "../errors.ts";
import { isMissing, type Probe, realPath, removeLeftoverTemps, syncDirectory } from "../util/fs.ts";
import { isObject } from "../util/json.ts";
import { forEachLine, type Line } from "../util/lines.ts";

/**
 * `merge-into`: a JSON Lines archive that keeps one line per event (by `arn`), the version with the
 * newest `lastUpdatedTime`, with its details, exactly as the backfill wrote it. Lines are ordered newest
 * `lastUpdatedTime` first, then by `arn` (ascending, code unit order): the API's own order, so the head
 * of the archive shows the latest changes and a merge that changes nothing rewrites the same bytes.
 *
 * The merge never holds the archive in memory: it keeps an index (ARN, time, where the line is), sorts
 * that, and copies each winning line's bytes from the old archive or the delta into a temp file beside
 * the archive, which then replaces it (fsync, rename, fsync of the folder). A kill at any moment leaves
 * the old archive or the new one, never a mix.
 */
export interface MergeResult {
  /** Events the archive holds now. */
  readonly events: number;
  /** Events the archive did not have. */
  readonly added: number;
  /** Events the delta holds a newer version of. */
  readonly updated: number;
}

const ARCHIVE = 0;
const DELTA = 1;

interface Entry {
  readonly arn: string;
  readonly t: number;
  readonly source: typeof ARCHIVE | typeof DELTA;
  readonly offset: number;
  readonly length: number;
  readonly terminated: boolean;
}

/** Bytes read or written at a time. */
const RUN = 1 << 20;

/** Why a line is not an event, or undefined when it is one. */
function problemOf(text: string): string | { arn: string; t: number } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return `is not JSON (${errorMessage(error)})`;
  }
  if (!isObject(doc)) return "is not a JSON object";
  if (typeof doc.arn !== "string" || doc.arn === "") return 'has no "arn"';
  const t = typeof doc.lastUpdatedTime === "string" ? Date.parse(doc.lastUpdatedTime) : Number.NaN;
  if (Number.isNaN(t)) return `("arn" ${JSON.stringify(doc.arn)}) has no "lastUpdatedTime" that is a time`;
  return { arn: doc.arn, t };
}

/** The newest version wins; on a tie the later source (the delta), which was fetched later. */
function takes(next: Entry, held: Entry | undefined): boolean {
  return held === undefined || next.t > held.t || (next.t === held.t && next.source >= held.source);
}

/** The archive order: newest lastUpdatedTime first, then arn ascending. */
function order(a: Entry, b: Entry): number {
  if (a.t !== b.t) return b.t - a.t;
  return a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0;
}

async function identity(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    if (isMissing(error)) return "missing";
    throw error;
  }
}

/** How a refusal names the archive: the input that gave it, and where it is. */
export interface ArchiveName {
  readonly input: string;
  readonly location: string;
}

export class ArchiveFile {
  readonly path: string;
  readonly #probe: Probe | undefined;
  readonly #name: ArchiveName;
  #index: Map<string, Entry> | undefined;
  #identity: string | undefined;

  constructor(path: string, probe?: Probe, name: ArchiveName = { input: INPUT.mergeInto, location: path }) {
    this.path = path;
    this.#probe = probe;
    this.#name = name;
  }

  /**
   * Reads and checks every line of the archive, so a malformed one is refused before the backfill
   * starts (exit 2, nothing touched). The index is kept for the merge unless the file changes meanwhile.
   */
  async prepare(): Promise<void> {
    this.#identity = await identity(this.path);
    this.#index = await this.#indexArchive();
  }

  /**
   * Whether the archive as prepared lacks the version of the event on `line` (an output line): it has
   * no version of that event, or an older one. Only before `merge`, which consumes the index.
   */
  lacks(line: string): boolean {
    const found = problemOf(line.trim());
    if (typeof found === "string") return true;
    const held = this.#index?.get(found.arn);
    return held === undefined || held.t < found.t;
  }

  /** Folds the delta (a complete backfill's output) into the archive and replaces it atomically. */
  async merge(delta: string): Promise<MergeResult> {
    const index =
      this.#index !== undefined && (await identity(this.path)) === this.#identity
        ? this.#index
        : await this.#indexArchive();
    this.#index = undefined;
    let added = 0;
    let updated = 0;
    await forEachLine(delta, (line) => {
      const entry = entryOf(line, DELTA, () => `The output ${delta}, line ${line.number},`);
      if (entry === undefined) return;
      const held = index.get(entry.arn);
      if (!takes(entry, held)) return;
      if (held === undefined) added += 1;
      else if (held.source === ARCHIVE && entry.t > held.t) updated += 1;
      index.set(entry.arn, entry);
    });
    const entries = [...index.values()].sort(order);
    index.clear();
    await this.#replace(entries, delta);
    return { events: entries.length, added, updated };
  }

  async #indexArchive(): Promise<Map<string, Entry>> {
    const index = new Map<string, Entry>();
    try {
      await forEachLine(this.path, (line) => {
        const entry = entryOf(
          line,
          ARCHIVE,
          () => `Invalid ${this.#name.input}: ${this.#name.location}, line ${line.number},`,
        );
        if (entry !== undefined && takes(entry, index.get(entry.arn))) index.set(entry.arn, entry);
      });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    return index;
  }

  /**
   * Writes the new archive beside the old one and renames it over; the old one stays until then. A
   * symbolic link is followed: the file it points to is replaced, so the link keeps naming the archive.
   */
  async #replace(entries: readonly Entry[], delta: string): Promise<void> {
    const target = realPath(this.path);
    const dir = dirname(target);
    // Temp files of merges that were killed: only the lock holder writes them, and that is this process.
    await removeLeftoverTemps(target);
    const temp = join(dir, `.${basename(target)}.${process.pid}.tmp`);
    const mode = await stat(target).then(
      (s) => s.mode & 0o7777,
      () => undefined,
    );
    try {
      await this.#write(temp, entries, delta);
      if (mode !== undefined) await chmod(temp, mode);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    this.#probe?.("merge-temp-synced");
    await rename(temp, target);
    await syncDirectory(dir);
    this.#probe?.("merge-renamed");
  }

  async #write(temp: string, entries: readonly Entry[], delta: string): Promise<void> {
    const out = await open(temp, "w");
    const sources = [entries.some((e) => e.source === ARCHIVE) ? await open(this.path, "r") : undefined];
    try {
      sources[DELTA] = await open(delta, "r");
      const writer = new BufferedWriter(out);
      for (let i = 0; i < entries.length; ) {
        const first = entries[i] as Entry;
        // Lines that lie one after the other in one source (the usual case) are copied in one read.
        let end = first.offset + first.length;
        let j = i + 1;
        for (; j < entries.length; j++) {
          const next = entries[j] as Entry;
          if (next.source !== first.source || next.offset !== end || end - first.offset >= RUN) break;
          end += next.length;
        }
        const handle = sources[first.source];
        if (!handle)
          throw new Error(`The merge lost track of ${first.source === ARCHIVE ? this.path : delta}.`);
        await writer.copy(handle, first.offset, end - first.offset);
        if (!(entries[j - 1] as Entry).terminated) await writer.add(Buffer.from("\n"));
        for (; i < j; i++) this.#probe?.("merge-line");
      }
      await writer.flush();
      await out.sync();
    } finally {
      await out.close();
      for (const handle of sources) await handle?.close();
    }
  }
}

const BOM = "\uFEFF";

/**
 * The line's event without what an editor may have added: a UTF-8 byte-order mark before the first
 * line (read as the filter and checkpoint are) and a carriage return before the line end. The bytes
 * copied leave both out, so the new archive ends every line with "\n" alone, not with a mix.
 */
function bare(line: Line): Line {
  const bom = line.number === 1 && line.text.startsWith(BOM) ? 3 : 0;
  const cr = line.text.endsWith("\r") ? 1 : 0;
  if (bom === 0 && cr === 0) return line;
  const text = line.text.slice(bom === 0 ? 0 : 1, line.text.length - cr);
  // A line whose CR is cut keeps no line end in its bytes: the writer adds "\n".
  const length = cr === 0 ? line.length - bom : line.length - bom - cr - (line.terminated ? 1 : 0);
  return { ...line, text, offset: line.offset + bom, length, terminated: line.terminated && cr === 0 };
}

function entryOf(raw: Line, source: Entry["source"], where: () => string): Entry | undefined {
  const line = bare(raw);
  if (line.text.trim() === "") return undefined; // a blank line holds no event; the new archive drops it
  const found = problemOf(line.text);
  if (typeof found === "string") {
    const message = `${where()} ${found}. Nothing was replaced; fix or remove that line.`;
    throw source === ARCHIVE ? new UsageError(message) : new Error(message);
  }
  return { ...found, source, offset: line.offset, length: line.length, terminated: line.terminated };
}

type Handle = Awaited<ReturnType<typeof open>>;

/**
 * Collects bytes in one reused buffer and writes it when full, so copying a large archive allocates
 * nothing per line (the process stays small, not only its heap).
 */
class BufferedWriter {
  readonly #out: Handle;
  readonly #buffer = Buffer.allocUnsafe(2 * RUN);
  #size = 0;

  constructor(out: Handle) {
    this.#out = out;
  }

  /** Appends `length` bytes of `from` at `offset`. */
  async copy(from: Handle, offset: number, length: number): Promise<void> {
    if (this.#size + length > this.#buffer.length) await this.flush();
    // A single line longer than the buffer gets its own.
    const target = length > this.#buffer.length ? Buffer.allocUnsafe(length) : this.#buffer;
    const at = target === this.#buffer ? this.#size : 0;
    for (let read = 0; read < length; ) {
      const { bytesRead } = await from.read(target, at + read, length - read, offset + read);
      if (bytesRead === 0) throw new Error("A file being merged became shorter during the merge.");
      read += bytesRead;
    }
    if (target === this.#buffer) this.#size += length;
    else await this.#write(target, length);
  }

  async add(bytes: Buffer): Promise<void> {
    if (this.#size + bytes.length > this.#buffer.length) await this.flush();
    bytes.copy(this.#buffer, this.#size);
    this.#size += bytes.length;
  }

  async flush(): Promise<void> {
    await this.#write(this.#buffer, this.#size);
    this.#size = 0;
  }

  async #write(data: Buffer, length: number): Promise<void> {
    for (let at = 0; at < length; ) {
      const { bytesWritten } = await this.#out.write(data, at, length - at);
      at += bytesWritten;
    }
  }
}

/**
 * The engine's after-completion step for `merge-into`: merges the output into the archive and hands
 * over what changed. A malformed archive line stays an input error; anything else says the archive was
 * left as it was.
 */
export function mergeStep(
  archive: ArchiveFile,
  delta: string,
  done: (result: MergeResult) => void,
): () => Promise<void> {
  return async () => {
    try {
      done(await archive.merge(delta));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new Error(
        `Could not merge ${delta} into ${archive.path}, which was left as it was: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  };
}
