import { isAbsolute, relative } from "node:path";
import type { Config } from "./config/config.ts";
import type { BackupIdentity } from "./engine/record.ts";
import { backedUpFingerprint } from "./engine/request.ts";
import type { EventSource } from "./engine/source.ts";
import { createPacedClient } from "./health/client.ts";
import { AwsClock } from "./health/clock.ts";
import { resolveEndpoint } from "./health/endpoint.ts";
import { callerAccount } from "./health/identity.ts";
import { HealthSource } from "./health/source.ts";
import { startSimulator } from "./simulator/server.ts";
import { realPath } from "./util/fs.ts";

export interface Connection {
  readonly source: EventSource;
  /** Where the events come from, for messages. */
  readonly description: string;
  /** The Health endpoint requests go to (the simulator's URL with `simulate`). */
  readonly endpoint: string;
  /** AWS's time, learned from the answers (see AwsClock). */
  readonly clock: AwsClock;
  /** The AWS account the credentials belong to (STS GetCallerIdentity); also sets `clock`. */
  account(signal: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

/**
 * The simulator behind `simulate`: realistic latency and a per-family rate limit, so a simulated run
 * shows the pacing a real organization needs. Same seed every time, so an interrupted simulated
 * backfill resumes against the same events.
 */
export const SIMULATED = { seed: 1, latencyMs: 15, rateLimit: 100, burst: 10 } as const;

/** Connects to AWS Health (the SDK's own credential and endpoint chain) or to the built-in simulator. */
export async function connect(config: Config, signal: AbortSignal): Promise<Connection> {
  const region = config.query.region;
  const simulator =
    config.simulate === undefined
      ? undefined
      : await startSimulator({ ...SIMULATED, events: config.simulate });
  const clock = new AwsClock();
  const custom = simulator && {
    endpoint: simulator.url,
    credentials: { accessKeyId: "SIMULATED", secretAccessKey: "simulated" },
  };
  const client = createPacedClient({ region, signal, awsClock: clock, ...custom });
  const close = async () => {
    client.destroy();
    await simulator?.close();
  };
  // Named as the SDK resolves it (AWS_ENDPOINT_URL, ~/.aws/config included), checked before any request.
  const endpoint = await resolveEndpoint(client).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  let description = `AWS Health in ${region} (${endpoint.name})`;
  if (simulator) description = `the built-in simulator (${config.simulate} events, ${simulator.url})`;
  else if (endpoint.custom)
    description = `AWS Health at ${endpoint.name} (custom endpoint), region ${region}`;
  return {
    source: new HealthSource(client, endpoint.name),
    description,
    endpoint: simulator?.url ?? endpoint.name,
    clock,
    // STS with the same credentials and, for the simulator, its endpoint; otherwise the SDK's own.
    account: (signal) => callerAccount({ region, clock, signal, ...custom }),
    close,
  };
}

/** Where a backup runs: the action's workflow file and workspace; the script has neither. */
export interface Place {
  readonly workflow?: string | undefined;
  /** Paths inside it are named relative to it: a hosted runner's workspace path is not the backup's. */
  readonly workspace?: string | undefined;
}

/**
 * The scheduled backup this configuration runs: whose events (the credentials' account), where from
 * (the endpoint), what (the query without page size) and where to (the archive, else the output).
 * Asks STS, so AWS's clock is known before the window is pinned.
 */
export async function identifyBackup(
  config: Config,
  connection: Connection,
  place: Place,
  signal: AbortSignal,
): Promise<BackupIdentity> {
  const account = await connection.account(signal);
  let destination = realPath(config.mergeInto ?? config.output);
  if (place.workspace !== undefined) {
    const inside = relative(realPath(place.workspace), destination);
    if (!inside.startsWith("..") && !isAbsolute(inside)) destination = inside;
  }
  const simulated = config.simulate === undefined ? undefined : `simulated:${config.simulate}`;
  return {
    account,
    endpoint: simulated ?? connection.endpoint,
    destination,
    ...(place.workflow === undefined ? {} : { workflow: place.workflow }),
    query: backedUpFingerprint(config.query),
  };
}
