import { describe, expect, it } from "vitest";
import { ServiceError } from "../../src/simulator/protocol.ts";
import { requestHash, TokenCodec } from "../../src/simulator/tokens.ts";
import { DAY } from "./helpers.ts";

const scope = {
  requestHash: requestHash("DescribeEvents", { maxResults: 5, filter: { services: ["EC2"] } }),
  region: "us-east-1",
};
const cursor = {
  t: 1_700_000_000_123,
  k: "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/X_1",
};

function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ServiceError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "accepted";
}

describe("TokenCodec", () => {
  it("round-trips a cursor in the token alphabet AWS documents", () => {
    const codec = new TokenCodec(1, DAY, () => 1000);
    const token = codec.issue(scope, cursor);
    expect(token).toMatch(/^[a-zA-Z0-9=/+_.-]{4,10000}$/);
    expect(codec.open(token, scope)).toEqual(cursor);
  });

  it("is accepted by another codec with the same seed, not with another seed", () => {
    const token = new TokenCodec(7, DAY, () => 0).issue(scope, cursor);
    expect(new TokenCodec(7, DAY, () => 0).open(token, scope)).toEqual(cursor);
    expect(failure(() => new TokenCodec(8, DAY, () => 0).open(token, scope))).toMatch(
      /^InvalidPaginationToken/,
    );
  });

  it("rejects tampering, another request, another region and old age", () => {
    let now = 0;
    const codec = new TokenCodec(1, DAY, () => now);
    const token = codec.issue(scope, cursor);
    const [body, sig] = token.split(".") as [string, string];
    const tampered = `${body.slice(0, -2)}${body.endsWith("A") ? "B" : "A"}${body.slice(-1)}.${sig}`;
    expect(failure(() => codec.open(tampered, scope))).toMatch(/^InvalidPaginationToken/);
    expect(failure(() => codec.open("abcd", scope))).toMatch(/^InvalidPaginationToken/);
    const other = {
      ...scope,
      requestHash: requestHash("DescribeEvents", { maxResults: 6, filter: { services: ["EC2"] } }),
    };
    expect(failure(() => codec.open(token, other))).toMatch(/^InvalidPaginationToken: .*different request/);
    expect(failure(() => codec.open(token, { ...scope, region: "us-east-2" }))).toMatch(
      /^InvalidPaginationToken: .*us-east-1/,
    );
    now = DAY;
    expect(codec.open(token, scope)).toEqual(cursor);
    now = DAY + 1;
    expect(failure(() => codec.open(token, scope))).toMatch(/^InvalidPaginationToken: .*expired/);
  });
});

describe("requestHash", () => {
  it("ignores nextToken and key order, not values or list order", () => {
    const base = requestHash("DescribeEvents", {
      filter: { services: ["EC2", "RDS"], regions: ["us-east-1"] },
      maxResults: 5,
    });
    expect(
      requestHash("DescribeEvents", {
        maxResults: 5,
        nextToken: "x",
        filter: { regions: ["us-east-1"], services: ["EC2", "RDS"] },
      }),
    ).toBe(base);
    expect(
      requestHash("DescribeEvents", {
        filter: { services: ["RDS", "EC2"], regions: ["us-east-1"] },
        maxResults: 5,
      }),
    ).not.toBe(base);
    expect(
      requestHash("DescribeEventsForOrganization", {
        filter: { services: ["EC2", "RDS"], regions: ["us-east-1"] },
        maxResults: 5,
      }),
    ).not.toBe(base);
  });
});
