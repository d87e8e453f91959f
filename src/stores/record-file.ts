import { dirname, join } from "node:path";
import { parseRecord, type RunRecord, type RunRecordStore, serializeRecord } from "../engine/record.ts";
import { type Probe, readIfThere, removeLeftoverTemps, writeFileAtomic } from "../util/fs.ts";

/**
 * Where the script keeps the record of the last complete run: beside the output, one file per query
 * (the fingerprint is in the name). So a daily run that writes each delta to a dated file in the same
 * folder still finds yesterday's record, and two different queries there never share one.
 */
export function recordPath(output: string, fingerprint: string): string {
  return join(dirname(output), `health-backfill.last-run.${fingerprint}.json`);
}

/** The record as a small local JSON file, replaced atomically (temp file, fsync, rename). */
export class FileRecordStore implements RunRecordStore {
  readonly location: string;
  readonly #fingerprint: string;
  readonly #probe: Probe | undefined;

  constructor(path: string, fingerprint: string, probe?: Probe) {
    this.location = path;
    this.#fingerprint = fingerprint;
    this.#probe = probe;
  }

  async load(): Promise<RunRecord | undefined> {
    const text = await readIfThere(this.location);
    return text === undefined ? undefined : parseRecord(text, this.location, this.#fingerprint);
  }

  async save(record: RunRecord): Promise<void> {
    // The probe names are the record's own, so a crash test can aim at this write and not the checkpoint's.
    const probe = this.#probe && ((point: string) => this.#probe?.(point.replace("checkpoint-", "record-")));
    await removeLeftoverTemps(this.location); // the record is locked by this run
    await writeFileAtomic(this.location, serializeRecord(record), probe);
  }
}
