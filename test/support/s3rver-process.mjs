// s3rver in a process of its own, for test/support/s3.ts: Node runs it with --openssl-legacy-provider,
// since s3rver makes the continuation tokens of a truncated listing with DES, which OpenSSL 3 refuses
// otherwise. Prints the port, then serves until killed.
import S3rver from "s3rver";

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  directory,
  silent: process.env.S3_TEST_LOG !== "1",
  // The layer in front forwards requests signed for its own address.
  allowMismatchedSignatures: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`${port}\n`);
