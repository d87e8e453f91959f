import { readFileSync } from "node:fs";
import { type Config, parseConfig, type RawInputs } from "../config/config.ts";
import { ACTION_DEFAULTS, ACTION_INPUT, INPUT } from "../config/names.ts";
import { parseDuration } from "../config/parse.ts";
import { shorten, UsageError } from "../errors.ts";

export interface ActionConfig {
  readonly config: Config;
  readonly checkpointKey: string;
  readonly cacheSaveIntervalMs: number;
  /** `${{ toJSON(matrix) }}` as the runner expanded the input's default; `null` outside a matrix. */
  readonly matrix: string;
  /** Deletes this backfill's cache entries once it completes, when the job grants `actions: write`. */
  readonly githubToken: string;
}

/** Reads the action's inputs once, through the same validation as the script's flags. */
export function readActionConfig(getInput: (name: string) => string, now: number): ActionConfig {
  const raw: Record<string, string> = {};
  for (const name of [...Object.values(INPUT), ...Object.values(ACTION_INPUT)]) raw[name] = getInput(name);
  const config = parseConfig(raw as RawInputs, {
    now,
    readFile: (path) => readFileSync(path, "utf8"),
    endpoint: process.env.AWS_ENDPOINT_URL_HEALTH,
  });
  const checkpointKey = raw[ACTION_INPUT.checkpointKey]?.trim() || ACTION_DEFAULTS["checkpoint-key"];
  if (checkpointKey.includes(",") || checkpointKey.length > 200) {
    throw new UsageError(
      `Invalid ${ACTION_INPUT.checkpointKey}: ${shorten(checkpointKey)}. Allowed: up to 200 characters, no commas.`,
    );
  }
  return Object.freeze({
    config,
    checkpointKey,
    cacheSaveIntervalMs: parseDuration(
      ACTION_INPUT.cacheSaveInterval,
      raw[ACTION_INPUT.cacheSaveInterval] || ACTION_DEFAULTS["cache-save-interval"],
    ),
    matrix: raw[ACTION_INPUT.matrix]?.trim() || "null",
    githubToken: raw[ACTION_INPUT.githubToken]?.trim() ?? "",
  });
}
