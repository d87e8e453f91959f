import { hostname } from "node:os";
import type { Config } from "../config/config.ts";
import { LAST_RUN } from "../config/names.ts";
import type { S3Location } from "../config/s3-location.ts";
import type { BackfillResult } from "../engine/backfill.ts";
import type { BackupIdentity, RunRecordStore } from "../engine/record.ts";
import type { Probe } from "../util/fs.ts";
import { S3Archive, type S3Committed } from "./archive.ts";
import { createS3Client } from "./client.ts";
import { S3RecordStore } from "./record-store.ts";

/** A backup into `archive: s3://…`, checked and ready: the commit step and the record beside it. */
export interface S3Backup {
  readonly location: S3Location;
  readonly archive: S3Archive;
  /** The record of the last complete run, read and written in S3. */
  readonly records: S3RecordStore;
  /** The engine's after-completion step: the delta, then the archive (see S3Archive). */
  readonly step: (result: BackfillResult) => Promise<void>;
  /** What the step stored, once it ran. */
  readonly committed: () => S3Committed | undefined;
  close(): Promise<void>;
}

export interface S3BackupOptions {
  readonly signal: AbortSignal;
  /** The action's workflow run, named in what the run writes. */
  readonly run?: string | undefined;
  readonly probe?: Probe | undefined;
}

/**
 * Opens the S3 archive of `identity` and checks it before the first AWS Health call: the bucket, every
 * permission, the archive's lines (see S3Archive.prepare).
 */
export async function openS3Backup(
  config: Config & { readonly archive: S3Location },
  identity: BackupIdentity,
  options: S3BackupOptions,
): Promise<S3Backup> {
  const client = createS3Client();
  const where = identity.workflow ?? `the script on ${hostname()}`;
  const writer = `${where}${options.run ? `, run ${options.run}` : ""}, account ${identity.account}`;
  const archive = new S3Archive({
    client,
    location: config.archive,
    identity,
    layout: config.layout,
    language: config.query.locale,
    writer,
    signal: options.signal,
    probe: options.probe,
  });
  const close = async () => {
    await archive.close();
    client.destroy();
  };
  try {
    await archive.prepare();
  } catch (error) {
    await close();
    throw error;
  }
  let committed: S3Committed | undefined;
  return {
    location: config.archive,
    archive,
    records: new S3RecordStore(client, config.archive, identity, options),
    step: async (result) => {
      committed = await archive.commit(config.output, result.window.to);
    },
    committed: () => committed,
    close,
  };
}

/** Where a backup keeps what outlives the run: its S3 archive, and the record `since: last-run` reads. */
export interface BackupStores {
  readonly s3: S3Backup | undefined;
  readonly records: RunRecordStore | undefined;
}

/**
 * Before the first AWS Health call, for either front door: the backup's identity when `since: last-run`
 * or an S3 archive needs it, the S3 archive checked, and the last-run record, in S3 beside an S3 archive,
 * else where the front door keeps it (`localRecords`).
 */
export async function openBackupStores(
  config: Config,
  identify: () => Promise<BackupIdentity>,
  localRecords: (identity: BackupIdentity) => Promise<RunRecordStore>,
  options: S3BackupOptions,
): Promise<BackupStores> {
  const lastRun = config.query.since === LAST_RUN;
  if (!lastRun && config.archive === undefined) return { s3: undefined, records: undefined };
  const identity = await identify();
  const s3 =
    config.archive && (await openS3Backup({ ...config, archive: config.archive }, identity, options));
  try {
    return { s3, records: lastRun ? (s3?.records ?? (await localRecords(identity))) : undefined };
  } catch (error) {
    await s3?.close();
    throw error;
  }
}
