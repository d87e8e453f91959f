import { readFileSync } from "node:fs";
import { type Config, parseConfig, type RawInputs } from "../config/config.ts";
import { INPUT } from "../config/names.ts";
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
  for (const name of Object.values(INPUT)) raw[name] = getInput(name);
  const config = parseConfig(raw as RawInputs, {
    now,
    readFile: (path) => readFileSync(path, "utf8"),
    endpoint: process.env.AWS_ENDPOINT_URL_HEALTH,
  });
  const checkpointKey = raw[INPUT.checkpointKey]?.trim() || "health-backfill";
  if (checkpointKey.includes(",") || checkpointKey.length > 200) {
    throw new UsageError(
      `Invalid ${INPUT.checkpointKey}: ${shorten(checkpointKey)}. Allowed: up to 200 characters, no commas.`,
    );
  }
  return Object.freeze({
    config,
    checkpointKey,
    cacheSaveIntervalMs: parseDuration(INPUT.cacheSaveInterval, raw[INPUT.cacheSaveInterval] || "30s"),
    matrix: raw[INPUT.matrix]?.trim() || "null",
    githubToken: raw[INPUT.githubToken]?.trim() ?? "",
  });
}
