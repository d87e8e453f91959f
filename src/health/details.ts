import {
  DescribeAffectedAccountsForOrganizationCommand,
  DescribeAffectedEntitiesCommand,
  DescribeAffectedEntitiesForOrganizationCommand,
  DescribeEventDetailsCommand,
  DescribeEventDetailsForOrganizationCommand,
  type HealthClient,
} from "@aws-sdk/client-health";
import { jsonBytes } from "../engine/budget.ts";
import { type EventRecord, JsonItems, type PageBudget } from "../engine/source.ts";
import { explainAwsError } from "./errors.ts";
import { type ListedEvent, plain } from "./records.ts";

/**
 * Details of one page of events, handed over event by event.
 *
 * The page's targets (each event, or each affected account of an account-specific event), in order,
 * are cut into chunks of ten, one details call and one entities call each: a chunk serves several
 * narrow events or a slice of a wide one, and is the same whatever the timing, so the output is too.
 * Each request waits for room in the page's byte budget (work for the event the output waits for goes
 * at once), an event's record is handed over as soon as the last chunk it is in has answered, and what
 * was fetched for it is dropped once it is: what is held is about one event and the requests the
 * budget lets ahead, not one page. Affected accounts are listed a few events ahead of the chunks.
 */
export interface DetailsContext {
  readonly client: HealthClient;
  readonly signal: AbortSignal;
  readonly entities: boolean;
  readonly locale: string | undefined;
  readonly budget: PageBudget;
  /** Where requests go, for messages. */
  readonly endpoint: string;
}

/** Targets per details or entities call: the API's limit. */
const CHUNK = 10;
/** Events whose affected accounts are listed ahead of the chunk being cut. */
const ACCOUNTS_AHEAD = 32;

interface Target {
  /** The event's position in the page. */
  readonly index: number;
  readonly eventArn: string;
  readonly awsAccountId?: string;
}

interface FailedItem {
  eventArn?: string | undefined;
  awsAccountId?: string | undefined;
  errorName?: string | undefined;
  errorMessage?: string | undefined;
}

interface DetailsOutput {
  successfulSet?:
    | {
        event?: { arn?: string | undefined } | undefined;
        awsAccountId?: string | undefined;
        eventDescription?: unknown;
        eventMetadata?: unknown;
      }[]
    | undefined;
  failedSet?: FailedItem[] | undefined;
  /** The details calls are not paged. */
  nextToken?: undefined;
}

interface EntitiesOutput {
  entities?: { eventArn?: string | undefined }[] | undefined;
  failedSet?: FailedItem[] | undefined;
  nextToken?: string | undefined;
}

/** The calls of one scope. */
interface Calls {
  /** Organization scope: account-specific events are fetched per affected account. */
  readonly organization: boolean;
  readonly details: string;
  readonly entities: string;
  sendDetails(ctx: DetailsContext, targets: readonly Target[]): Promise<DetailsOutput>;
  sendEntities(ctx: DetailsContext, targets: readonly Target[], token: NextToken): Promise<EntitiesOutput>;
}

type NextToken = { nextToken?: string };

/** An item of an answer, with the ARN of the event it belongs to. */
interface Keyed {
  readonly arn: string | undefined;
  readonly value: unknown;
}

/** Items of one answer that belong to one event, as JSON. */
interface Packed {
  readonly arn: string | undefined;
  readonly json: Uint8Array;
}

const ENCODER = new TextEncoder();

/**
 * Keeps the items of an answer as JSON bytes, one piece per event in the answer's order, and returns
 * their size. Objects would live until their event is complete (for a wide event, until a few hundred
 * calls have answered), long enough for the garbage collector to promote them and to grow its young
 * generation; bytes stay outside the heap, take a fraction of the room and go into the output as they
 * are (JsonItems).
 */
function pack(into: Packed[], items: readonly Keyed[]): number {
  const byEvent = new Map<string | undefined, unknown[]>();
  for (const { arn, value } of items) {
    const list = byEvent.get(arn);
    if (list) list.push(value);
    else byEvent.set(arn, [value]);
  }
  let bytes = 0;
  for (const [arn, values] of byEvent) {
    const json = ENCODER.encode(JSON.stringify(values));
    into.push({ arn, json });
    bytes += json.byteLength;
  }
  return bytes;
}

/** Ten targets and what their calls answered, kept until the last event they serve is handed over. */
class Chunk {
  readonly targets: readonly Target[];
  readonly first: number;
  readonly last: number;
  readonly details: Packed[] = [];
  readonly entities: Packed[] = [];
  readonly detailFailures: Packed[] = [];
  readonly entityFailures: Packed[] = [];
  /** What the kept answers take, counted in the budget. */
  bytes = 0;
  done: Promise<unknown> = Promise.resolve();

  constructor(targets: readonly Target[]) {
    this.targets = targets;
    this.first = (targets[0] as Target).index;
    this.last = (targets[targets.length - 1] as Target).index;
  }
}

async function call<T>(ctx: DetailsContext, operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw explainAwsError(error, operation, ctx.endpoint);
  }
}

/**
 * Every page of a paged call, in order, each handed to `take`, which keeps what it needs and returns
 * the bytes kept. The caller has admitted the first request; `admit` admits each later one. A token
 * the API repeats is an error, not a loop.
 */
async function eachPage<T extends { nextToken?: string | undefined }>(
  ctx: DetailsContext,
  operation: string,
  admit: () => Promise<void> | undefined,
  page: (token: NextToken) => Promise<T>,
  take: (out: T) => number,
): Promise<void> {
  let nextToken: string | undefined;
  let first = true;
  do {
    const token = nextToken;
    if (!first) await admit();
    first = false;
    let kept = 0;
    try {
      const out = await call(ctx, operation, () => page(token ? { nextToken: token } : {}));
      kept = take(out);
      nextToken = out.nextToken || undefined;
    } finally {
      ctx.budget.answered(kept);
    }
    if (nextToken !== undefined && nextToken === token) {
      throw new Error(`${operation} returned the same pagination token twice; stopping rather than looping.`);
    }
  } while (nextToken);
}

function detailOf(item: {
  awsAccountId?: string | undefined;
  eventDescription?: unknown;
  eventMetadata?: unknown;
}) {
  const description = (item.eventDescription as { latestDescription?: string } | undefined)
    ?.latestDescription;
  return plain({
    awsAccountId: item.awsAccountId,
    latestDescription: description,
    eventMetadata: item.eventMetadata ?? {},
  });
}

function entityOf(entity: object): unknown {
  const { eventArn: _omit, ...rest } = plain(entity) as Record<string, unknown>;
  return rest;
}

function failureOf(operation: string, item: FailedItem): Keyed {
  const { eventArn, ...rest } = item;
  return { arn: eventArn, value: { operation, ...(plain(rest) as object) } };
}

function localeOf(ctx: DetailsContext): { locale?: string } {
  return ctx.locale ? { locale: ctx.locale } : {};
}

function filterOf(t: Target): { eventArn: string; awsAccountId?: string } {
  return t.awsAccountId === undefined
    ? { eventArn: t.eventArn }
    : { eventArn: t.eventArn, awsAccountId: t.awsAccountId };
}

const ORGANIZATION: Calls = {
  organization: true,
  details: "DescribeEventDetailsForOrganization",
  entities: "DescribeAffectedEntitiesForOrganization",
  sendDetails: (ctx, targets) =>
    ctx.client.send(
      new DescribeEventDetailsForOrganizationCommand({
        organizationEventDetailFilters: targets.map(filterOf),
        ...localeOf(ctx),
      }),
      { abortSignal: ctx.signal },
    ),
  sendEntities: (ctx, targets, token) =>
    ctx.client.send(
      new DescribeAffectedEntitiesForOrganizationCommand({
        organizationEntityAccountFilters: targets.map(filterOf),
        maxResults: 100,
        ...token,
        ...localeOf(ctx),
      }),
      { abortSignal: ctx.signal },
    ),
};

const ACCOUNT: Calls = {
  organization: false,
  details: "DescribeEventDetails",
  entities: "DescribeAffectedEntities",
  sendDetails: (ctx, targets) =>
    ctx.client.send(
      new DescribeEventDetailsCommand({ eventArns: targets.map((t) => t.eventArn), ...localeOf(ctx) }),
      { abortSignal: ctx.signal },
    ),
  sendEntities: (ctx, targets, token) =>
    ctx.client.send(
      new DescribeAffectedEntitiesCommand({
        filter: { eventArns: targets.map((t) => t.eventArn) },
        maxResults: 100,
        ...token,
        ...localeOf(ctx),
      }),
      { abortSignal: ctx.signal },
    ),
};

/** Lets one waiter sleep until something changes, or learn that something failed. */
class Change {
  #wake: (() => void) | undefined;
  #failed = false;
  #error: unknown;

  notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  fail(error: unknown): void {
    this.#failed = true;
    this.#error = error;
    this.notify();
  }

  next(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    return new Promise<void>((resolve) => (this.#wake = resolve)).then(() => {
      if (this.#failed) throw this.#error;
    });
  }
}

/**
 * The affected accounts of one event, listed page by page as fast as the API answers. The requests go
 * out without waiting for room: the chunk that holds the end of an earlier event may need this event's
 * first accounts, so they must not wait behind it. Listing only a few events ahead bounds them.
 */
class AccountsListing {
  readonly accounts: string[] = [];
  complete = false;
  bytes = 0;
  readonly #change = new Change();

  constructor(ctx: DetailsContext, eventArn: string) {
    this.#list(ctx, eventArn).then(
      () => {
        this.complete = true;
        this.#change.notify();
      },
      (error: unknown) => this.#change.fail(error),
    );
  }

  /** Resolves when more accounts arrived or the listing is complete. */
  more(): Promise<void> {
    return this.#change.next();
  }

  async #list(ctx: DetailsContext, eventArn: string): Promise<void> {
    ctx.budget.admitNow();
    const admit = () => {
      ctx.budget.admitNow();
      return undefined;
    };
    await eachPage(
      ctx,
      "DescribeAffectedAccountsForOrganization",
      admit,
      (token) =>
        ctx.client.send(
          new DescribeAffectedAccountsForOrganizationCommand({ eventArn, maxResults: 100, ...token }),
          { abortSignal: ctx.signal },
        ),
      (out) => {
        const found = out.affectedAccounts ?? [];
        for (const account of found) this.accounts.push(account);
        const bytes = jsonBytes(found);
        this.bytes += bytes;
        this.#change.notify();
        return bytes;
      },
    );
  }
}

/** One page's details: cuts the targets into chunks and fetches them; assembles each event's record. */
class PageDetails {
  readonly #ctx: DetailsContext;
  readonly #calls: Calls;
  readonly #events: readonly ListedEvent[];
  /** Per event: the chunks its targets are in. */
  readonly #chunks: Chunk[][];
  /** Per account-specific event (organization scope): its affected accounts. */
  readonly #accounts: (AccountsListing | undefined)[];
  #listedUpTo = 0;
  #pending: Target[] = [];
  /** Events before this one are in chunks that have been sent (or waited for room). */
  #cutUpTo = 0;
  readonly #change = new Change();

  constructor(ctx: DetailsContext, calls: Calls, events: readonly ListedEvent[]) {
    this.#ctx = ctx;
    this.#calls = calls;
    this.#events = events;
    this.#chunks = events.map(() => []);
    this.#accounts = events.map(() => undefined);
  }

  /** Cuts and sends every chunk of the page; reports a failure to `record`. */
  async run(): Promise<void> {
    try {
      for (let i = 0; i < this.#events.length; i++) {
        this.#listAhead(i + ACCOUNTS_AHEAD);
        await this.#place(i);
        this.#reach(this.#pending.length > 0 ? (this.#pending[0] as Target).index : i + 1);
      }
      if (this.#pending.length > 0) await this.#cut();
      this.#reach(this.#events.length);
    } catch (error) {
      this.#change.fail(error);
    }
  }

  /** Event `i`'s record, once every chunk it is in has answered. */
  async record(i: number): Promise<EventRecord> {
    while (this.#cutUpTo <= i) await this.#change.next();
    const chunks = this.#chunks[i] as Chunk[];
    for (const chunk of chunks) await chunk.done;
    const event = this.#events[i] as ListedEvent;
    const pick = (...lists: ((c: Chunk) => Packed[])[]) => {
      const pieces: Uint8Array[] = [];
      for (const list of lists)
        for (const chunk of chunks) for (const p of list(chunk)) if (p.arn === event.arn) pieces.push(p.json);
      return new JsonItems(pieces);
    };
    const failures = pick(
      (c) => c.detailFailures,
      (c) => c.entityFailures,
    );
    return {
      ...event,
      ...(this.#calls.organization ? { affectedAccounts: this.#accounts[i]?.accounts ?? [] } : {}),
      details: pick((c) => c.details),
      ...(this.#ctx.entities ? { entities: pick((c) => c.entities) } : {}),
      ...(failures.pieces.length > 0 ? { failures } : {}),
    };
  }

  /** Event `i` is handed over: drops its accounts and the chunks that served no later event. */
  drop(i: number): void {
    let bytes = this.#accounts[i]?.bytes ?? 0;
    for (const chunk of this.#chunks[i] as Chunk[]) if (chunk.last === i) bytes += chunk.bytes;
    this.#ctx.budget.drop(bytes);
    this.#accounts[i] = undefined;
    this.#chunks[i] = [];
  }

  #listAhead(end: number): void {
    if (!this.#calls.organization) return;
    for (; this.#listedUpTo < Math.min(end, this.#events.length); this.#listedUpTo++) {
      const event = this.#events[this.#listedUpTo] as ListedEvent;
      if (event.eventScopeCode === "ACCOUNT_SPECIFIC")
        this.#accounts[this.#listedUpTo] = new AccountsListing(this.#ctx, event.arn);
    }
  }

  /** Adds event `i`'s targets: one per affected account, or the event itself. */
  async #place(i: number): Promise<void> {
    const eventArn = (this.#events[i] as ListedEvent).arn;
    const listing = this.#accounts[i];
    if (!listing) return this.#add({ index: i, eventArn });
    for (let seen = 0; ; ) {
      while (seen < listing.accounts.length)
        await this.#add({ index: i, eventArn, awsAccountId: listing.accounts[seen++] as string });
      if (listing.complete) return;
      await listing.more();
    }
  }

  async #add(target: Target): Promise<void> {
    this.#pending.push(target);
    if (this.#pending.length === CHUNK) await this.#cut();
  }

  /** Sends the pending targets as one chunk, once the budget has room for it. */
  async #cut(): Promise<void> {
    const chunk = new Chunk(this.#pending);
    this.#pending = [];
    for (let e = chunk.first; e <= chunk.last; e++) (this.#chunks[e] as Chunk[]).push(chunk);
    const parts: Promise<void>[] = [];
    const track = (part: Promise<void>) => {
      part.catch(() => {}); // awaited through chunk.done
      parts.push(part);
    };
    await this.#ctx.budget.admit(chunk.first, this.#ctx.signal);
    track(this.#details(chunk));
    if (this.#ctx.entities) {
      await this.#ctx.budget.admit(chunk.first, this.#ctx.signal);
      track(this.#entities(chunk));
    }
    chunk.done = Promise.all(parts);
    chunk.done.catch(() => {}); // awaited by record(); avoids an unhandled rejection if it never is
    // Every event before the chunk's last is now in chunks that are sent. Saying so at once matters:
    // the next chunk may wait for room that only handing those events over makes.
    this.#reach(chunk.last);
  }

  #details(chunk: Chunk): Promise<void> {
    const operation = this.#calls.details;
    return eachPage(
      this.#ctx,
      operation,
      () => undefined, // one page: the details calls are not paged
      () => this.#calls.sendDetails(this.#ctx, chunk.targets),
      (out) => {
        const found = (out.successfulSet ?? []).map((item) => ({
          arn: item.event?.arn,
          value: detailOf(item),
        }));
        const failed = (out.failedSet ?? []).map((item) => failureOf(operation, item));
        const kept = pack(chunk.details, found) + pack(chunk.detailFailures, failed);
        chunk.bytes += kept;
        return kept;
      },
    );
  }

  #entities(chunk: Chunk): Promise<void> {
    const operation = this.#calls.entities;
    return eachPage(
      this.#ctx,
      operation,
      () => this.#ctx.budget.admit(chunk.first, this.#ctx.signal),
      (token) => this.#calls.sendEntities(this.#ctx, chunk.targets, token),
      (out) => {
        const found = (out.entities ?? []).map((e) => ({ arn: e.eventArn, value: entityOf(e) }));
        const failed = (out.failedSet ?? []).map((item) => failureOf(operation, item));
        const kept = pack(chunk.entities, found) + pack(chunk.entityFailures, failed);
        chunk.bytes += kept;
        return kept;
      },
    );
  }

  #reach(upTo: number): void {
    if (upTo <= this.#cutUpTo) return;
    this.#cutUpTo = upTo;
    this.#change.notify();
  }
}

/** Hands over each event's record as soon as it is complete; stops the page's requests when it ends. */
async function* enrichPage(
  ctx: DetailsContext,
  calls: Calls,
  events: readonly ListedEvent[],
): AsyncGenerator<EventRecord> {
  const stop = new AbortController();
  const page = new PageDetails({ ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) }, calls, events);
  void page.run(); // never rejects: a failure reaches record()
  try {
    for (let i = 0; i < events.length; i++) {
      yield await page.record(i);
      page.drop(i);
    }
  } finally {
    stop.abort();
  }
}

/** Organization scope: affected accounts, then details and entities per (event, account). */
export function enrichOrganization(
  ctx: DetailsContext,
  events: readonly ListedEvent[],
): AsyncGenerator<EventRecord> {
  return enrichPage(ctx, ORGANIZATION, events);
}

/** Account scope: details and entities per event. */
export function enrichAccount(
  ctx: DetailsContext,
  events: readonly ListedEvent[],
): AsyncGenerator<EventRecord> {
  return enrichPage(ctx, ACCOUNT, events);
}
