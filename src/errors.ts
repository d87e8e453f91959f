/**
 * Errors that carry the script's exit status (PRODUCT.md: 0 complete, 1 failed with progress saved,
 * 2 invalid usage or input, 3 checkpoint cannot be used, 130 interrupted after saving progress).
 */

/** Invalid input or usage: nothing was started, nothing already written was touched. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

/** The checkpoint exists but cannot be used; a person must decide (`restart`). Nothing was deleted. */
export class CheckpointRefusedError extends Error {
  override name = "CheckpointRefusedError";
  readonly exitCode = 3;
}

/** Stopped by SIGINT/SIGTERM after the last complete page was saved. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly exitCode = 130;
}

export function exitCodeOf(error: unknown): number {
  if (
    error instanceof UsageError ||
    error instanceof CheckpointRefusedError ||
    error instanceof InterruptedError
  ) {
    return error.exitCode;
  }
  return 1;
}

/** One readable line for any thrown value, Error or not. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** A failure mid-run with progress saved; the message already says how to continue. */
export class BackfillFailedError extends Error {
  override name = "BackfillFailedError";
}

/** Errors the user caused or must act on print without a stack trace. */
export function isExpected(error: unknown): boolean {
  return exitCodeOf(error) !== 1 || error instanceof BackfillFailedError;
}
