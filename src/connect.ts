import { isAbsolute, relative } from "node:path";
import type { HealthClient } from "@aws-sdk/client-health";
import type { Config } from "./config/config.ts";
import { AUTO_REGION } from "./config/names.ts";
import type { BackupIdentity } from "./engine/record.ts";
import { backedUpFingerprint } from "./engine/request.ts";
import type { EventSource } from "./engine/source.ts";
import { type CnameLookup, FALLBACK_REGION, GLOBAL_HOST, RegionWatch } from "./health/active-region.ts";
import { createPacedClient } from "./health/client.ts";
import { AwsClock } from "./health/clock.ts";
import { type Endpoint, resolveEndpoint } from "./health/endpoint.ts";
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
  /**
   * With `region: auto`, the active region now (looked up again at most every 10 s); undefined when
   * the region is fixed.
   */
  readonly activeRegion?: () => Promise<string>;
  /** The region a new backfill starts in: the given one, or the active one when `auto`. */
  readonly region: string;
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

export interface ConnectOptions {
  /** How `region: auto` looks up the global endpoint's CNAME (DNS; a URL in tests). */
  readonly lookup: CnameLookup;
}

interface RegionClient {
  readonly client: HealthClient;
  readonly endpoint: Endpoint;
}

/** Connects to AWS Health (the SDK's own credential and endpoint chain) or to the built-in simulator. */
export async function connect(
  config: Config,
  signal: AbortSignal,
  options: ConnectOptions,
): Promise<Connection> {
  const simulator =
    config.simulate === undefined
      ? undefined
      : await startSimulator({ ...SIMULATED, events: config.simulate });
  const clock = new AwsClock();
  const custom = simulator && {
    endpoint: simulator.url,
    credentials: { accessKeyId: "SIMULATED", secretAccessKey: "simulated" },
  };
  // One client per region: a failover moves the backfill to the other region's endpoint.
  const clients = new Map<string, Promise<RegionClient>>();
  const open = (region: string): Promise<RegionClient> => {
    let opened = clients.get(region);
    if (!opened) {
      const client = createPacedClient({ region, signal, awsClock: clock, ...custom });
      // Named as the SDK resolves it (AWS_ENDPOINT_URL, ~/.aws/config included), checked before any request.
      opened = resolveEndpoint(client).then(
        (endpoint) => ({ client, endpoint }),
        (error: unknown) => {
          client.destroy();
          throw error;
        },
      );
      clients.set(region, opened);
    }
    return opened;
  };
  const close = async () => {
    for (const opened of clients.values()) (await opened.catch(() => undefined))?.client.destroy();
    await simulator?.close();
  };
  try {
    const start = await startRegion(config, simulator !== undefined, open, options);
    const { endpoint } = await open(start.region);
    let description = `AWS Health in ${start.region} (${endpoint.name})${start.note}`;
    if (simulator) description = `the built-in simulator (${config.simulate} events, ${simulator.url})`;
    else if (endpoint.custom)
      description = `AWS Health at ${endpoint.name} (custom endpoint), region ${start.region}${start.note}`;
    const region = start.region;
    return {
      source: new HealthSource(async (r) => {
        const { client, endpoint } = await open(r);
        return { client, endpoint: endpoint.name };
      }),
      description,
      endpoint: simulator?.url ?? endpoint.name,
      clock,
      ...(start.watch && { activeRegion: async () => (await (start.watch as RegionWatch).current()).region }),
      region,
      // STS with the same credentials and, for the simulator, its endpoint; otherwise the SDK's own.
      account: (signal) => callerAccount({ region, clock, signal, ...custom }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The region a backfill starts in. `auto` follows the CNAME of the global endpoint (us-east-1 when it
 * cannot be resolved, said in the start line). A custom endpoint or the simulator has no global name, so
 * `auto` is us-east-1 there, unless a test points the lookup at a simulator.
 */
async function startRegion(
  config: Config,
  simulated: boolean,
  open: (region: string) => Promise<RegionClient>,
  options: ConnectOptions,
): Promise<{ readonly region: string; readonly note: string; readonly watch?: RegionWatch }> {
  const given = config.query.region;
  if (given !== AUTO_REGION) return { region: given, note: "" };
  const { endpoint } = await open(FALLBACK_REGION);
  if ((simulated || endpoint.custom) && !options.lookup.test) return { region: FALLBACK_REGION, note: "" };
  const watch = new RegionWatch(options.lookup);
  const active = await watch.current();
  const note =
    active.fallback === undefined
      ? ` (active, from ${GLOBAL_HOST})`
      : ` (${active.fallback}: using ${FALLBACK_REGION})`;
  return { region: active.region, note, watch };
}

/** Where a backup runs: the action's workflow file and workspace; the script has neither. */
export interface Place {
  readonly workflow?: string | undefined;
  /** Paths inside it are named relative to it: a hosted runner's workspace path is not the backup's. */
  readonly workspace?: string | undefined;
}

/**
 * The scheduled backup this configuration runs: whose events (the credentials' account), where from
 * (the endpoint), what (the query without page size) and where to (the S3 archive's URL, the local
 * archive, else the output).
 * Asks STS, so AWS's clock is known before the window is pinned.
 */
export async function identifyBackup(
  config: Config,
  connection: Connection,
  place: Place,
  signal: AbortSignal,
): Promise<BackupIdentity> {
  const account = await connection.account(signal);
  let destination = config.archive?.url ?? realPath(config.mergeInto ?? config.output);
  if (place.workspace !== undefined && config.archive === undefined) {
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

/** How `region: auto` looks up the active region: DNS, or what a test sets (see active-region.ts). */
export { cnameLookup } from "./health/active-region.ts";
