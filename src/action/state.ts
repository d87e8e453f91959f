/** Names of the state the main step hands to the post step (`STATE_<name>`). */
export const STATE = {
  /** The local checkpoint and the output, as the inputs named them. */
  checkpoint: "checkpoint",
  output: "output",
  /** Where the entries of this backfill are staged (cache/entry.ts), with the manifest of what is stored. */
  entryDir: "entry-dir",
  postKey: "post-key",
  finished: "finished",
} as const;
