import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.ts";
import { ANCHOR, defined } from "./helpers.ts";

const AUTH =
  "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-east-1/health/aws4_request, SignedHeaders=host, Signature=abc";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ events: 50, anchor: ANCHOR });
});
afterAll(() => sim.close());

async function call(
  target: string | undefined,
  body: string,
  headers: Record<string, string> = { authorization: AUTH },
) {
  const res = await fetch(`${sim.url}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      ...(target === undefined ? {} : { "x-amz-target": `AWSHealth_20160804.${target}` }),
      ...headers,
    },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

describe("AWS JSON 1.1 wire protocol", () => {
  it("answers JSON 1.1 with epoch-second timestamps carrying milliseconds", async () => {
    const r = await call("DescribeEventsForOrganization", JSON.stringify({ maxResults: 3 }));
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/x-amz-json-1.1");
    const body = JSON.parse(r.text);
    const first = defined(sim.dataset[0]);
    expect(body.events[0].lastUpdatedTime).toBe(first.lastUpdatedTime.getTime() / 1000);
    expect(r.text).toContain(`"lastUpdatedTime":${first.lastUpdatedTime.getTime() / 1000}`);
    expect(body.events).toHaveLength(3);
    expect(typeof body.nextToken).toBe("string");
  });

  it("leaves out members that are not set", async () => {
    const open = defined(sim.dataset.find((e) => e.endTime === undefined));
    const r = await call("DescribeEvents", JSON.stringify({ filter: { eventArns: [open.arn] } }));
    const body = JSON.parse(r.text);
    expect(body).not.toHaveProperty("nextToken");
    expect(body.events[0]).not.toHaveProperty("endTime");
  });

  it("parses incoming timestamps as epoch seconds with a fraction", async () => {
    const t = defined(sim.dataset[10]).lastUpdatedTime.getTime() / 1000;
    const r = await call(
      "DescribeEventsForOrganization",
      JSON.stringify({ filter: { lastUpdatedTime: { from: t, to: t } } }),
    );
    const arns = JSON.parse(r.text).events.map((e: { arn: string }) => e.arn);
    expect(arns).toContain(defined(sim.dataset[10]).arn);
    const bad = await call(
      "DescribeEventsForOrganization",
      JSON.stringify({ filter: { lastUpdatedTime: { from: "2026-01-01" } } }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).__type).toBe("SerializationException");
  });

  it("requires an authorization header", async () => {
    const r = await call("DescribeEvents", "{}", {});
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text)).toEqual({
      __type: "MissingAuthenticationTokenException",
      message: expect.any(String),
    });
  });

  it("rejects unknown operations and malformed JSON", async () => {
    const unknown = await call("DescribeEverything", "{}");
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).__type).toBe("UnknownOperationException");
    const proto = await call("toString", "{}");
    expect(JSON.parse(proto.text).__type).toBe("UnknownOperationException");
    const missing = await call(undefined, "{}");
    expect(JSON.parse(missing.text).__type).toBe("UnknownOperationException");
    const malformed = await call("DescribeEvents", "{not json");
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text).__type).toBe("SerializationException");
    const wrongType = await call("DescribeEvents", JSON.stringify({ filter: { services: "EC2" } }));
    expect(JSON.parse(wrongType.text).__type).toBe("SerializationException");
  });

  it("answers POST / only", async () => {
    const res = await fetch(`${sim.url}/other`, { method: "GET", headers: { authorization: AUTH } });
    expect(res.status).toBe(404);
    await res.text();
  });

  it("counts requests per operation", async () => {
    sim.resetStats();
    await call("DescribeHealthServiceStatusForOrganization", "{}");
    await call("DescribeEvents", "{bad");
    expect(sim.stats).toMatchObject({
      requests: 2,
      byOperation: { DescribeHealthServiceStatusForOrganization: 1, DescribeEvents: 1 },
      succeededByFamily: { status: 1 },
      errors: 1,
    });
    expect(sim.stats.serverTimeMsByOperation.DescribeHealthServiceStatusForOrganization).toBeGreaterThan(0);
    const { status, events } = sim.stats.windowByFamily;
    expect(status && events && status.first < status.last && status.last <= events.first).toBe(true);
  });
});
