import type { HealthClient } from "@aws-sdk/client-health";
import { describe, expect, it } from "vitest";
import { Budget } from "../../src/engine/budget.ts";
import { enrichOrganization } from "../../src/health/details.ts";

/** A client whose every answer is `answer`: enough to drive the details paging without a server. */
function clientAnswering(answer: object): HealthClient {
  let calls = 0;
  return {
    send: async () => {
      calls += 1;
      if (calls > 50) throw new Error("looped");
      return answer;
    },
  } as unknown as HealthClient;
}

describe("details paging", () => {
  it("stops on a repeated token instead of looping", async () => {
    const client = clientAnswering({ affectedAccounts: ["111122223333"], nextToken: "again" });
    const budget = new Budget(1 << 20).page(0);
    const ctx = {
      client,
      signal: new AbortController().signal,
      entities: false,
      locale: undefined,
      budget,
      endpoint: "http://127.0.0.1:1",
    };
    const drain = async () => {
      for await (const _ of enrichOrganization(ctx, [{ arn: "arn:x", eventScopeCode: "ACCOUNT_SPECIFIC" }]));
    };
    await expect(drain()).rejects.toThrow(
      /DescribeAffectedAccountsForOrganization returned the same pagination token twice/,
    );
  });
});
