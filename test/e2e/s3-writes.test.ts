import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupIdentity, RunRecord } from "../../src/engine/record.ts";
import { identityId } from "../../src/engine/record.ts";
import { S3RecordStore } from "../../src/s3/record-store.ts";
import { startS3, type TestS3 } from "../support/s3.ts";

/**
 * The conditional writes the S3 archive relies on. First the test layer itself (test/support/s3.ts in
 * front of s3rver), held to what S3 answers, so that the end-to-end tests' races mean what they say;
 * then the last-run record's store when two runs of one backup move it at once.
 */
let s3: TestS3;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3(["bucket"]);
  client = s3.layerClient();
});
afterAll(async () => {
  client.destroy();
  await s3.stop();
});

interface Answer {
  status: number | undefined;
  etag?: string | undefined;
  name?: string;
}

const put = (
  key: string,
  body: string,
  condition: { IfMatch?: string; IfNoneMatch?: string } = {},
): Promise<Answer> =>
  client.send(new PutObjectCommand({ Bucket: "bucket", Key: key, Body: body, ...condition })).then(
    (out) => ({ status: 200, etag: out.ETag }),
    (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      status: error.$metadata?.httpStatusCode,
      name: error.name,
    }),
  );

describe("the test layer's conditional writes, as S3 has them", () => {
  it("If-None-Match: * creates only; If-Match replaces only the version named; 412 and 404 otherwise", async () => {
    const first = await put("k", "one", { IfNoneMatch: "*" });
    expect(first.status).toBe(200);
    expect(await put("k", "two", { IfNoneMatch: "*" })).toEqual({ status: 412, name: "PreconditionFailed" });
    const second = await put("k", "three", { IfMatch: first.etag as string });
    expect(second.status).toBe(200);
    expect(await put("k", "four", { IfMatch: first.etag as string })).toEqual({
      status: 412,
      name: "PreconditionFailed",
    });
    expect(await put("missing", "x", { IfMatch: first.etag as string })).toEqual({
      status: 404,
      name: "NoSuchKey",
    });
    expect(await s3.text("bucket", "k")).toBe("three");
  });

  it("holds CompleteMultipartUpload to the same conditions", async () => {
    await put("mpu", "old");
    const etag = await s3.etag("bucket", "mpu");
    const upload = async (condition: { IfMatch?: string; IfNoneMatch?: string }) => {
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: "bucket", Key: "mpu" }),
      );
      const part = await client.send(
        new UploadPartCommand({ Bucket: "bucket", Key: "mpu", UploadId, PartNumber: 1, Body: "new" }),
      );
      return client
        .send(
          new CompleteMultipartUploadCommand({
            Bucket: "bucket",
            Key: "mpu",
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
            ...condition,
          }),
        )
        .then(
          () => 200,
          (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
        );
    };
    expect(await upload({ IfNoneMatch: "*" })).toBe(412);
    expect(await upload({ IfMatch: '"0123456789abcdef0123456789abcdef"' })).toBe(412);
    expect(await s3.text("bucket", "mpu")).toBe("old");
    expect(await upload({ IfMatch: etag as string })).toBe(200);
    expect(await s3.text("bucket", "mpu")).toBe("new");
  });

  it("decides a race: of two writes conditional on one version, exactly one wins", async () => {
    const base = await put("race", "base");
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((body) => put("race", body, { IfMatch: base.etag as string })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
  });
});

describe("the last-run record in S3 when two runs of one backup move it", () => {
  const identity: BackupIdentity = {
    account: "111122223333",
    endpoint: "https://health.us-east-1.amazonaws.com",
    destination: "s3://bucket/health",
    query: "0123456789abcdef",
  };
  const record = (until: string): RunRecord => ({
    version: 2,
    id: identityId(identity),
    identity,
    from: "2026-11-01T00:00:00.000Z",
    until,
    completedAt: until,
    events: 1,
    pages: 1,
  });
  const store = () =>
    new S3RecordStore(client, { bucket: "bucket", prefix: "health", url: "s3://bucket/health" }, identity, {
      signal: new AbortController().signal,
    });

  it("the later until stays, whichever run writes last", async () => {
    const [a, b, c] = [store(), store(), store()];
    expect(await a.load()).toBeUndefined();
    expect(await b.load()).toBeUndefined();
    expect(await c.load()).toBeUndefined();
    await a.save(record("2026-11-02T10:00:00.000Z"));
    // b read no record: its first write is refused, it reads a's, which reaches further, and keeps it.
    await b.save(record("2026-11-02T09:00:00.000Z"));
    expect((await store().load())?.until).toBe("2026-11-02T10:00:00.000Z");
    // c reaches further still: refused once, it reads a's and then replaces it.
    await c.save(record("2026-11-02T11:00:00.000Z"));
    expect((await store().load())?.until).toBe("2026-11-02T11:00:00.000Z");
    const writes = s3.requests.filter((r) => r.op === "PutObject" && r.key.startsWith("health/state/"));
    expect(writes.map((w) => w.status)).toEqual([200, 412, 412, 200]);
  });
});
