import { readFileSync } from "node:fs";
import { type Config, parseConfig } from "../config/config.ts";
import { cnameLookup, connect, identifyBackup } from "../connect.ts";
import {
  errorMessage,
  exitCodeOf,
  FinishFailedError,
  InterruptedError,
  isExpected,
  sentence,
} from "../errors.ts";
import { mergedText, recordedText, storedText } from "../format.ts";
import { backfillInto, openLocalFiles } from "../local/files.ts";
import { tallyOutput } from "../local/tally.ts";
import { openBackupStores, type S3Backup } from "../s3/backup.ts";
import type { Probe } from "../util/fs.ts";
import { keepHeapSmall } from "../util/heap.ts";
import { whatToDo } from "./advice.ts";
import { parseCli } from "./args.ts";
import { HELP } from "./help.ts";
import { CliReporter } from "./progress.ts";

interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly live: boolean;
}

const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  live: process.stderr.isTTY === true,
});

/**
 * Crash tests set HEALTH_BACKFILL_KILL_AT=<point>:<n> to have the script SIGKILL itself the n-th time it
 * reaches a named point of a write (page-half-written, page-written, part-written (a part of a wide
 * page written ahead of its checkpoint), checkpoint-temp-written,
 * checkpoint-temp-synced, checkpoint-renamed; merge-line, merge-temp-synced, merge-renamed;
 * record-temp-written, record-temp-synced, record-renamed; with an S3 archive s3-delta-stored,
 * s3-heidi-object (each HEIDI object), s3-heidi-stored, s3-archive-part, s3-archive-stored, s3-record-stored). Unset, nothing is probed.
 */
function killProbe(spec: string | undefined): Probe | undefined {
  const match = /^([a-z0-9-]+):(\d+)$/.exec(spec ?? "");
  if (!match) return undefined;
  let left = Number(match[2]);
  return (point) => {
    if (point === match[1] && --left === 0) process.kill(process.pid, "SIGKILL");
  };
}

async function execute(config: Config, reporter: CliReporter, signal: AbortSignal): Promise<void> {
  const probe = killProbe(process.env.HEALTH_BACKFILL_KILL_AT);
  const files = await openLocalFiles(config, { probe, onStale: (message) => reporter.line(message) });
  let s3: S3Backup | undefined;
  try {
    const connection = await connect(config, signal, { lookup: cnameLookup(process.env) });
    try {
      reporter.line(`Backfilling AWS Health events from ${connection.description} into ${config.output}`);
      const { archive } = files;
      const stores = await openBackupStores(
        config,
        () => identifyBackup(config, connection, {}, signal),
        (identity) => files.openRecords(identity),
        { signal, probe },
      );
      s3 = stores.s3;
      const { records } = stores;
      const { result, merged } = await backfillInto(config, files, {
        source: connection.source,
        reporter,
        signal,
        awsClock: connection.clock.now,
        regions: { start: connection.region, active: connection.activeRegion },
        // A cron job must not stop for good on one killed run: the record has not moved, so a new run
        // covers the expired checkpoint's window again (see BackfillOptions.expiredLastRun).
        expiredLastRun: "start-again",
        ...(records && { records }),
        ...(s3 && { afterComplete: s3.step }),
      });
      reporter.done(result, config.output);
      reporter.delta(await tallyOutput(config.output));
      if (merged && archive) reporter.line(mergedText(merged, archive.path));
      const committed = s3?.committed();
      if (committed) {
        reporter.line(storedText(committed));
        reporter.line(mergedText(committed.merged, committed.archive));
      }
      if (result.recorded && records)
        reporter.line(recordedText(result.recorded, records.location, "--since last-run"));
    } finally {
      await s3?.close();
      await connection.close();
    }
  } finally {
    await files.release();
  }
}

/**
 * The script. SIGINT and SIGTERM stop it after the page in progress is saved (exit 130); a second
 * Ctrl-C quits at once, which is safe too: the output is cut back to the checkpoint on the next run.
 */
export async function run(
  argv: readonly string[] = process.argv.slice(2),
  io: Io = processIo(),
): Promise<void> {
  keepHeapSmall();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    io.stderr(`\n${signal}: stopping after the page in progress.\n`);
    controller.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let debug = argv.includes("--debug");
  let reporter: CliReporter | undefined;
  try {
    const args = parseCli(argv);
    debug = args.debug;
    if (args.help) return io.stdout(HELP);
    const config = parseConfig(args.inputs, {
      now: Date.now(),
      readFile: (path) => readFileSync(path, "utf8"),
      endpoint: process.env.AWS_ENDPOINT_URL_HEALTH,
    });
    reporter = new CliReporter(io.stderr, io.live, Date.now);
    await execute(config, reporter, controller.signal);
  } catch (error) {
    process.exitCode = exitCodeOf(error);
    // A failure after completion (the merge) is no stop: the window was covered.
    if (!(error instanceof FinishFailedError)) reporter?.stopped();
    io.stderr(`health-backfill: ${sentence(errorMessage(error))}${whatToDo(error)}\n`);
    if (debug || !isExpected(error))
      io.stderr(`${error instanceof Error ? (error.stack ?? "") : ""}\n${debugCause(error)}`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function debugCause(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Error && cause.stack ? `caused by: ${cause.stack}\n` : "";
}
