import {
  type Checkpoint,
  type CheckpointStore,
  parseCheckpoint,
  serializeCheckpoint,
} from "../engine/checkpoint.ts";
import { type Probe, readIfThere, realPath, removeFile, writeFileAtomic } from "../util/fs.ts";

/** The checkpoint as a local JSON file, replaced atomically after every page. */
export class FileCheckpointStore implements CheckpointStore {
  readonly location: string;
  readonly #probe: Probe | undefined;

  constructor(path: string, probe?: Probe) {
    this.location = path;
    this.#probe = probe;
  }

  async load(): Promise<Checkpoint | undefined> {
    const text = await readIfThere(this.location);
    return text === undefined ? undefined : parseCheckpoint(text, this.location);
  }

  save(checkpoint: Checkpoint): Promise<void> {
    return writeFileAtomic(this.location, serializeCheckpoint(checkpoint), this.#probe);
  }

  clear(): Promise<void> {
    return removeFile(realPath(this.location)); // where save wrote it: a link stays
  }
}
