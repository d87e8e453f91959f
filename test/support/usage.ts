import { expect } from "vitest";
import { UsageError } from "../../src/errors.ts";

/** The message of the UsageError `fn` throws; fails the test when it throws nothing or another error. */
export function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function fails(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the backfill to fail");
}
