import type { Config } from "./config/config.ts";
import type { EventSource } from "./engine/source.ts";
import { createPacedClient } from "./health/client.ts";
import { resolveEndpoint } from "./health/endpoint.ts";
import { HealthSource } from "./health/source.ts";
import { startSimulator } from "./simulator/server.ts";

export interface Connection {
  readonly source: EventSource;
  /** Where the events come from, for messages. */
  readonly description: string;
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
  const client = createPacedClient({
    region,
    signal,
    ...(simulator && {
      endpoint: simulator.url,
      credentials: { accessKeyId: "SIMULATED", secretAccessKey: "simulated" },
    }),
  });
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
  return { source: new HealthSource(client, endpoint.name), description, close };
}
