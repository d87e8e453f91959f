import type { HealthClient } from "@aws-sdk/client-health";

interface Destroyable {
  destroy(error: Error): void;
  once(event: "close", listener: () => void): unknown;
}

function isDestroyable(body: unknown): body is Destroyable {
  const b = body as Partial<Destroyable> | null | undefined;
  return typeof b?.destroy === "function" && typeof b.once === "function";
}

/** Named and coded like the SDK's own request timeout, so the SDK retries it and messages word it alike. */
function deadlineError(ms: number): Error {
  return Object.assign(new Error(`the answer did not complete within ${ms} ms`), {
    name: "TimeoutError",
    code: "ETIMEDOUT",
  });
}

/**
 * A total deadline for every attempt, headers and body. The SDK's requestTimeout only covers the wait
 * for the headers, and the socket timeout is an idle timeout: an endpoint that sends the headers and
 * then a byte every few seconds would hold a run forever (issue 15). At the deserialize step, low
 * priority, this sits between the HTTP handler and the parsing of the body, inside the retry loop.
 */
export function addAttemptDeadline(client: HealthClient, ms: number): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const started = Date.now();
      const out = await next(args);
      const body = (out.response as { body?: unknown } | undefined)?.body;
      if (isDestroyable(body)) {
        const timer = setTimeout(() => body.destroy(deadlineError(ms)), ms - (Date.now() - started));
        body.once("close", () => clearTimeout(timer));
      }
      return out;
    },
    { step: "deserialize", priority: "low", name: "healthBackfillAttemptDeadline" },
  );
}
