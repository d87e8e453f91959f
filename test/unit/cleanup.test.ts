import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CleanupOptions, deleteEntries } from "../../src/action/cache/cleanup.ts";
import { type FakeCacheService, startFakeCacheService } from "../fakes/cache-service.ts";

/** The REST calls run against the fake cache service's REST endpoints, with GitHub's permission check. */
let service: FakeCacheService;
const RUN = "hb-job-null-f-7-";

beforeEach(async () => {
  service = await startFakeCacheService();
  for (let n = 1; n <= 5; n++)
    service.put({ key: `${RUN}1-00000${n}`, version: "v", data: Buffer.alloc(100) });
  service.put({ key: `${RUN}2-000001`, version: "v", data: Buffer.alloc(10) }); // the marker, newest
  service.put({ key: "hb-job-null-f-8-1-000001", version: "v", data: Buffer.alloc(1) }); // another run
  service.put({ key: "npm-linux-abc", version: "v", data: Buffer.alloc(1) });
});
afterEach(() => service.close());

function options(token: string): CleanupOptions {
  const env = service.env();
  return {
    apiUrl: env.GITHUB_API_URL as string,
    repository: env.GITHUB_REPOSITORY,
    token,
    prefix: RUN,
    last: `${RUN}2-000001`,
  };
}

const keys = () => service.entries.map((e) => e.key);

describe("deleting the entries of a completed backfill", () => {
  it("with actions: write, deletes every entry of this run and leg, the marker last, and nothing else", async () => {
    const result = await deleteEntries(options(service.grant("write")));
    expect(result).toEqual({ kind: "deleted", entries: 6, bytes: 510 });
    expect(keys()).toEqual(["hb-job-null-f-8-1-000001", "npm-linux-abc"]);
  });

  it("lists page by page: more than a hundred entries all go", async () => {
    for (let n = 6; n <= 150; n++)
      service.put({ key: `${RUN}1-${String(n).padStart(6, "0")}`, version: "v", data: Buffer.alloc(1) });
    const result = await deleteEntries(options(service.grant("write")));
    expect(result).toMatchObject({ kind: "deleted", entries: 151 });
    expect(service.counts.list).toBe(2);
  });

  it.each(["read", "none"] as const)(
    "with actions: %s, says it may not and deletes nothing",
    async (permission) => {
      const result = await deleteEntries(options(service.grant(permission)));
      expect(result).toMatchObject({
        kind: "not-permitted",
        detail: expect.stringMatching(/HTTP 403 Resource not accessible by integration/),
      });
      expect(keys()).toHaveLength(8);
    },
  );

  it("without a token, says so and asks nothing", async () => {
    expect(await deleteEntries(options(""))).toEqual({
      kind: "not-permitted",
      detail: "no github-token was given",
    });
    expect(service.counts.list + service.counts.delete).toBe(0);
  });

  it("a delete that fails stops the cleanup and keeps the marker, so no older checkpoint is continued", async () => {
    service.fail("delete", { status: 502, times: 1 });
    const result = await deleteEntries(options(service.grant("write")));
    expect(result).toMatchObject({ kind: "failed", entries: 0, detail: expect.stringMatching(/HTTP 502/) });
    expect(keys()).toContain(`${RUN}2-000001`);
  });
});
