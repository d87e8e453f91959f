import type { Config } from "./config/config.ts";
import type { EventSource } from "./engine/source.ts";
import { createPacedClient } from "./health/client.ts";
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

/** The public endpoint of a Health region (https://docs.aws.amazon.com/general/latest/gr/health.html). */
function publicEndpoint(region: string): string {
  return `https://health.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

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
  // The SDK reads AWS_ENDPOINT_URL_HEALTH itself; config.endpoint only names it in messages.
  const endpoint = simulator?.url ?? config.endpoint ?? publicEndpoint(region);
  let description = `AWS Health in ${region} (${endpoint})`;
  if (simulator) description = `the built-in simulator (${config.simulate} events, ${simulator.url})`;
  else if (config.endpoint)
    description = `AWS Health at ${endpoint} (AWS_ENDPOINT_URL_HEALTH), region ${region}`;
  return {
    source: new HealthSource(client, endpoint),
    description,
    close: async () => {
      client.destroy();
      await simulator?.close();
    },
  };
}
