import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { isDeepStrictEqual } from "node:util";
import { descriptionForAccount, type SimEntity, type SimEvent } from "../../src/simulator/dataset.ts";
import { expectedOrganizationEvent } from "../simulator/helpers.ts";

/**
 * What an organization-scope backfill with `details: entities` must write for a simulator event, as
 * parsed JSON. Entities are sorted by ARN: their order within an event is the API's, not part of the
 * promise.
 */
export function expectedRecord(e: SimEvent): Record<string, unknown> {
  const metadata = { ...e.metadata };
  const details =
    e.eventScopeCode === "PUBLIC"
      ? [{ latestDescription: e.description, eventMetadata: metadata }]
      : e.accounts.map((a) => ({
          awsAccountId: a,
          latestDescription: descriptionForAccount(e, a),
          eventMetadata: metadata,
        }));
  return {
    // The event as the SDK hands it back, its dates as JSON writes them.
    ...(JSON.parse(JSON.stringify(expectedOrganizationEvent(e))) as Record<string, unknown>),
    affectedAccounts: e.accounts,
    details,
    entities: e.entities.map(entityRecord).sort(byArn),
  };
}

function entityRecord(x: SimEntity): Record<string, unknown> {
  return {
    entityArn: x.entityArn,
    entityValue: x.entityValue,
    ...(x.entityUrl === undefined ? {} : { entityUrl: x.entityUrl }),
    awsAccountId: x.awsAccountId,
    lastUpdatedTime: x.lastUpdatedTime.toISOString(),
    statusCode: x.statusCode,
    ...(Object.keys(x.tags).length > 0 ? { tags: { ...x.tags } } : {}),
  };
}

const byArn = (a: { entityArn?: unknown }, b: { entityArn?: unknown }) =>
  String(a.entityArn) < String(b.entityArn) ? -1 : String(a.entityArn) > String(b.entityArn) ? 1 : 0;

export interface OutputCheck {
  /** Lines read. */
  readonly lines: number;
  readonly bytes: number;
  readonly sha256: string;
  /** The first line that differs from what the dataset says, or undefined when every line matches. */
  readonly mismatch: string | undefined;
}

/**
 * Reads an NDJSON output line by line (it may be hundreds of megabytes) and compares it with
 * `events`, in order: every event exactly once, each record complete.
 */
export async function checkOutput(path: string, events: readonly SimEvent[]): Promise<OutputCheck> {
  const hash = createHash("sha256");
  let lines = 0;
  let bytes = 0;
  let mismatch: string | undefined;
  const input = createReadStream(path);
  input.on("data", (chunk) => hash.update(chunk));
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    bytes += Buffer.byteLength(line) + 1;
    const event = events[lines];
    lines += 1;
    if (mismatch !== undefined) continue;
    if (event === undefined) {
      mismatch = `line ${lines}: no such event in the dataset`;
      continue;
    }
    const record = JSON.parse(line) as { entities?: { entityArn?: unknown }[] };
    record.entities?.sort(byArn);
    if (!isDeepStrictEqual(record, expectedRecord(event)))
      mismatch = `line ${lines} (${event.arn}) differs from the dataset`;
  }
  if (mismatch === undefined && lines !== events.length)
    mismatch = `${lines} lines for ${events.length} events`;
  return { lines, bytes, sha256: hash.digest("hex"), mismatch };
}
