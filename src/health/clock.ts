/**
 * AWS's time, learned from the `Date` header of AWS's answers. A backfill's window is measured on it,
 * not on the runner's clock: a runner an hour fast would otherwise pin `until` an hour into AWS's
 * future, and the next `since: last-run` window would start after events it never fetched.
 */
export class AwsClock {
  readonly #local: () => number;
  #offsetMs: number | undefined;

  constructor(local: () => number = Date.now) {
    this.#local = local;
  }

  /** Learns the offset from one answer's `Date`, sent between `sentAt` and `receivedAt` (local ms). */
  observe(date: string | undefined, sentAt: number, receivedAt: number): void {
    const at = Date.parse(date ?? "");
    if (Number.isNaN(at)) return;
    // `Date` has whole seconds, so AWS's time lay in [at, at + 1 s); the answer left between our send
    // and our receipt. The middle of both keeps the error within half a second plus half the round trip.
    this.#offsetMs = at + 500 - (sentAt + receivedAt) / 2;
  }

  /** How far AWS's clock is ahead of this machine's (ms); undefined before the first answer. */
  get offsetMs(): number | undefined {
    return this.#offsetMs;
  }

  /** AWS's current time (epoch ms): this machine's, corrected by the last answer's `Date`. */
  readonly now = (): number => this.#local() + (this.#offsetMs ?? 0);
}

/**
 * A middleware that has every answer (errors too: a 4xx carries `Date` as well) tell `clock` AWS's time.
 * Add it with CLOCK_STEP: in the deserialize step below the deserializer, it sees each attempt's raw answer.
 */
export function clockMiddleware(clock: AwsClock) {
  return <A, R extends { readonly response: unknown }>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      const sentAt = Date.now();
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
      clock.observe(headers?.date, sentAt, Date.now());
      return result;
    };
}

export const CLOCK_STEP = { step: "deserialize", priority: "low", name: "healthBackfillAwsClock" } as const;
