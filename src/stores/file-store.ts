import { readFile } from "node:fs/promises";
import {
  type Checkpoint,
  type CheckpointStore,
  parseCheckpoint,
  serializeCheckpoint,
} from "../engine/checkpoint.ts";
import { isMissing, type Probe, removeFile, writeFileAtomic } from "../util/fs.ts";

/** The checkpoint as a local JSON file, replaced atomically after every page. */
export class FileCheckpointStore implements CheckpointStore {
  readonly location: string;
  readonly #probe: Probe | undefined;

  constructor(path: string, probe?: Probe) {
    this.location = path;
    this.#probe = probe;
  }

  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.location, "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return parseCheckpoint(text, this.location);
  }

  save(checkpoint: Checkpoint): Promise<void> {
    return writeFileAtomic(this.location, serializeCheckpoint(checkpoint), this.#probe);
  }

  clear(): Promise<void> {
    return removeFile(this.location);
  }
}
