/**
 * Errors carry facts and a class; each front door words the remedy for its own user (the script says
 * `--restart`, the action says "start a new workflow run"). Classes and the script's exit statuses:
 *   input (2)       the user must change an input or a file;
 *   checkpoint (3)  the checkpoint cannot be used and a person must decide;
 *   setup (4)       someone must grant or enable something (permissions, support plan, endpoint);
 *   transient (1)   running again helps;
 *   interrupted (130) stopped by a signal.
 */
export type FailureClass = "input" | "checkpoint" | "setup" | "transient" | "interrupted";

export const EXIT_CODE: Readonly<Record<FailureClass, number>> = {
  input: 2,
  checkpoint: 3,
  setup: 4,
  transient: 1,
  interrupted: 130,
};

/** Invalid input or usage: the user must change something. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly failureClass = "input";
}

/** Something must be granted or enabled before a run can work (permissions, plan, endpoint). */
export class SetupError extends Error {
  override name = "SetupError";
  readonly failureClass = "setup";
}

/**
 * The endpoint refused the connection. Before any page this is setup (a wrong endpoint or region);
 * the engine treats it as transient once pages have come from the same endpoint.
 */
export class EndpointUnreachableError extends SetupError {
  override name = "EndpointUnreachableError";
}

/** Another run holds the output or the checkpoint. Running again once that run ended helps. */
export class LockedError extends Error {
  override name = "LockedError";
  readonly failureClass = "transient";
}

/**
 * Why a checkpoint cannot be used. Each front door words what to do about each. A front door may raise
 * reasons of its own (the action's cache: see CacheRefusalReason in action/cache/restore.ts).
 */
export type RefusalReason =
  | "unreadable"
  | "other-query"
  | "other-output"
  | "expired"
  | "output-short"
  | "output-changed"
  | "token-refused";

/** The checkpoint exists but cannot be used; a person must decide (`restart`). Nothing was deleted. */
export class CheckpointRefusedError<Reason extends string = RefusalReason> extends Error {
  override name = "CheckpointRefusedError";
  readonly failureClass = "checkpoint";
  readonly reason: Reason;

  constructor(reason: Reason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** What a run had saved when it stopped: the facts behind "progress is saved". */
export interface Saved {
  /** Pages recorded by the last checkpoint written (0: no checkpoint exists). */
  readonly pages: number;
  readonly events: number;
  /** Where the checkpoint is. */
  readonly location: string;
}

/** Stopped by SIGINT/SIGTERM. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly failureClass = "interrupted";
  readonly saved: Saved | undefined;

  constructor(message: string, saved?: Saved) {
    super(message);
    this.saved = saved;
  }
}

/** A failure during the backfill, with its class and what was saved before it. */
export class BackfillFailedError extends Error {
  override name = "BackfillFailedError";
  readonly failureClass: FailureClass;
  readonly saved: Saved;

  constructor(message: string, failureClass: FailureClass, saved: Saved, options?: ErrorOptions) {
    super(message, options);
    this.failureClass = failureClass;
    this.saved = saved;
  }
}

/**
 * The backfill completed and its output is whole, but what follows completion (the merge into an
 * archive, the last-run record) failed. The class is the cause's: a malformed archive is input.
 */
export class FinishFailedError extends Error {
  override name = "FinishFailedError";
  readonly failureClass: FailureClass;

  constructor(message: string, failureClass: FailureClass, options?: ErrorOptions) {
    super(message, options);
    this.failureClass = failureClass;
  }
}

/** The class of any thrown value; anything unclassified is treated as transient. */
export function classOf(error: unknown): FailureClass {
  const c = (error as { failureClass?: unknown } | null | undefined)?.failureClass;
  return typeof c === "string" && c in EXIT_CODE ? (c as FailureClass) : "transient";
}

export function exitCodeOf(error: unknown): number {
  return EXIT_CODE[classOf(error)];
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

/** Errors the user caused or must act on print without a stack trace; a bug in the program with it. */
export function isExpected(error: unknown): boolean {
  const wraps = error instanceof BackfillFailedError || error instanceof FinishFailedError;
  const cause = wraps ? error.cause : error;
  const bugs = [TypeError, RangeError, ReferenceError, SyntaxError];
  return !bugs.some((type) => cause instanceof type);
}

/** Ends a message with exactly one full stop (messages from APIs may or may not end with one). */
export function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** A value the user gave, shortened for a one-line message. */
export function shorten(value: string, max = 80): string {
  const quoted = JSON.stringify(value);
  return quoted.length <= max ? quoted : `${quoted.slice(0, max - 5)}…" (${value.length} characters)`;
}

/** Drops the user name and password a URL may carry (`http://user:pw@host`): messages never show them. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, "$1");
}
