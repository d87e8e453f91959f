import { fingerprint, releasedFingerprint } from "../engine/request.ts";
import { isMatrixLeg, legPart } from "./cache/keys.ts";
import type { RunContext } from "./env.ts";
import type { ActionConfig } from "./inputs.ts";

/**
 * Which step this is: the run (job, run id, attempt, workflow file), the matrix leg and the query's
 * fingerprints, worked out once per step from the inputs and the runner's variables. The checkpoint's
 * cache keys, the last-run record's keys and the backup's identity are all built from this one value,
 * so they cannot disagree about the leg or the query.
 */
export interface StepIdentity {
  readonly ctx: RunContext;
  /** The `checkpoint-key` input: the first part of every cache key. */
  readonly checkpointKey: string;
  /** The matrix leg as a key part (`null` outside a matrix; see legPart). */
  readonly leg: string;
  readonly matrixLeg: boolean;
  /** The query's fingerprint (see engine/request.ts). */
  readonly fingerprint: string;
  /** The fingerprint release 0.1.0 gave the same query, to find what it left in the cache. */
  readonly releasedFingerprint: string;
}

export function stepIdentity(action: ActionConfig, ctx: RunContext): StepIdentity {
  const leg = legPart(action.matrix);
  return Object.freeze({
    ctx,
    checkpointKey: action.checkpointKey,
    leg,
    matrixLeg: isMatrixLeg(leg),
    fingerprint: fingerprint(action.config.query),
    releasedFingerprint: releasedFingerprint(action.config.query),
  });
}
