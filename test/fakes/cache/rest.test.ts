/**
 * The fake's REST endpoints for managing caches (list by key prefix, delete by key or id) and the
 * permission check GitHub applies to the workflow token, driven over plain HTTP as the action does.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeCacheService, startFakeCacheService } from "../cache-service.ts";

let service: FakeCacheService;

beforeEach(async () => {
  service = await startFakeCacheService();
  for (const key of ["hb-run1-1", "hb-run1-2", "hb-run2-1", "other"]) {
    service.put({ key, version: "v", data: Buffer.from(key) });
  }
});
afterEach(() => service.close());

function api(method: string, path: string, token: string): Promise<Response> {
  const { GITHUB_API_URL, GITHUB_REPOSITORY } = service.env();
  return fetch(`${GITHUB_API_URL}/repos/${GITHUB_REPOSITORY}/actions/caches${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" },
  });
}

interface Listing {
  total_count: number;
  actions_caches: { id: number; key: string; size_in_bytes: number }[];
}

describe("the fake's REST cache API", () => {
  it("lists finalized entries whose key starts with the given prefix, newest first, page by page", async () => {
    const token = service.grant("read");
    const all = (await (await api("GET", "?key=hb-run1-", token)).json()) as Listing;
    expect(all.total_count).toBe(2);
    expect(all.actions_caches.map((c) => c.key)).toEqual(["hb-run1-2", "hb-run1-1"]);
    expect(all.actions_caches[0]?.size_in_bytes).toBe(9);
    const second = (await (await api("GET", "?key=hb-&per_page=2&page=2", token)).json()) as Listing;
    expect(second).toMatchObject({ total_count: 3, actions_caches: [{ key: "hb-run1-1" }] });
  });

  it("deletes by id (204) and by exact key (200 with what went), 404 when there is nothing", async () => {
    const token = service.grant("write");
    const id = service.entries.find((e) => e.key === "hb-run1-1")?.id;
    expect((await api("DELETE", `/${id}`, token)).status).toBe(204);
    expect((await api("DELETE", `/${id}`, token)).status).toBe(404);
    const byKey = await api("DELETE", "?key=hb-run1-2", token);
    expect(byKey.status).toBe(200);
    expect(((await byKey.json()) as Listing).total_count).toBe(1);
    expect((await api("DELETE", "?key=hb-run1", token)).status).toBe(404); // exact keys only
    expect(service.entries.map((e) => e.key)).toEqual(["hb-run2-1", "other"]);
    expect(service.counts).toMatchObject({ delete: 4, list: 0 });
  });

  it("checks the token: unknown 401, no actions permission 403, read lists but may not delete", async () => {
    const unknown = await api("GET", "?key=hb", "ghs_nobody");
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ message: "Bad credentials" });
    const none = service.grant("none");
    expect((await api("GET", "?key=hb", none)).status).toBe(403);
    const read = service.grant("read");
    expect((await api("GET", "?key=hb", read)).status).toBe(200);
    const denied = await api("DELETE", "?key=other", read);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ message: "Resource not accessible by integration" });
    expect(service.entries).toHaveLength(4);
  });

  it("injects faults into REST calls like into the others", async () => {
    service.fail("delete", { status: 502, times: 1 });
    const token = service.grant("write");
    expect((await api("DELETE", "?key=other", token)).status).toBe(502);
    expect((await api("DELETE", "?key=other", token)).status).toBe(200);
  });
});
