/** Names of the state the main step hands to the post step (`STATE_<name>`). */
export const STATE = {
  paths: "paths",
  postKey: "post-key",
  finished: "finished",
} as const;
