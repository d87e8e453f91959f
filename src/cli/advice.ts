import {
  BackfillFailedError,
  CheckpointRefusedError,
  classOf,
  FinishFailedError,
  InterruptedError,
  LockedError,
  type RefusalReason,
  type Saved,
} from "../errors.ts";

/** What a person at a terminal does about each refusal: the flags they have. */
const REFUSED: Record<RefusalReason, string> = {
  unreadable:
    "Inspect it, or start again from the first page with --restart (discards it and the partial output).",
  "other-query":
    "Run with the original flags to finish that backfill, or use --restart to discard it and start this one.",
  "other-output":
    "Run with that --output to finish that backfill, give this one its own --checkpoint, or use --restart to discard it.",
  expired: "Start again from the first page with --restart.",
  "output-short": "Restore the output file, or start again from the first page with --restart.",
  "output-changed": "Restore the output file, or start again from the first page with --restart.",
  "token-refused": "Start again from the first page with --restart.",
};

function progress(saved: Saved | undefined): string {
  return saved && saved.pages > 0 ? `progress is saved after page ${saved.pages} in ${saved.location}` : "";
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The remedy after the message, worded for the script; empty when the message says it all. */
export function whatToDo(error: unknown): string {
  if (error instanceof CheckpointRefusedError)
    return ` Nothing was deleted. ${REFUSED[error.reason as RefusalReason]}`;
  if (error instanceof InterruptedError) return error.saved ? " Run the same command again to resume." : "";
  if (error instanceof LockedError) return " Wait for that run to end (or stop it), then run again.";
  if (error instanceof FinishFailedError) {
    return classOf(error) === "transient" ? " Run the same command again to finish." : "";
  }
  const saved = error instanceof BackfillFailedError ? error.saved : undefined;
  const done = progress(saved);
  switch (classOf(error)) {
    case "transient":
      return done
        ? ` ${capitalized(done)}: run the same command again to continue.`
        : " No page was saved yet: run the same command again to retry.";
    case "setup":
      return done ? ` Once that is fixed, the same command continues (${done}).` : "";
    default:
      return "";
  }
}
