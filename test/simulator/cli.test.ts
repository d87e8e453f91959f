import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { DescribeEventsForOrganizationCommand, HealthClient } from "@aws-sdk/client-health";
import { afterEach, describe, expect, it } from "vitest";
import { defaultAnchor, generateDataset } from "../../src/simulator/dataset.ts";
import { CREDENTIALS } from "./helpers.ts";

const run = promisify(execFile);
const NODE = "./node_modules/.bin/node";
const MAIN = "src/simulator/main.ts";
const RUNTIMES: [string, string, string[]][] = [
  ["node", NODE, [MAIN]],
  ["bun", "./node_modules/.bin/bun", [MAIN]],
  ["deno", "./node_modules/.bin/deno", ["run", "-A", MAIN]],
];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts the simulator as its own process and reads the endpoint it prints. */
async function startProcess(command: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const match = /^AWS_ENDPOINT_URL_HEALTH=(http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    if (match?.[1]) return { child, url: match[1] };
  }
  throw new Error(`the simulator printed no endpoint; stderr: ${stderr}`);
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  return code as number | null;
}

/** A child that configures the SDK only through the standard environment variables. */
const SDK_CHILD = `
import { HealthClient, paginateDescribeEventsForOrganization } from "@aws-sdk/client-health";
const client = new HealthClient({});
const arns = [];
for await (const page of paginateDescribeEventsForOrganization({ client, pageSize: 50 }, { maxResults: 50 })) {
  for (const e of page.events ?? []) arns.push(e.arn);
}
console.log(JSON.stringify(arns));
`;

describe("the standalone simulator", () => {
  it("serves a child process configured only by AWS_ENDPOINT_URL_HEALTH and credentials in the environment", async () => {
    const { child, url } = await startProcess(NODE, [MAIN, "--port", "0", "--events", "180", "--seed", "9"]);
    const env = {
      PATH: process.env.PATH ?? "",
      AWS_ENDPOINT_URL_HEALTH: url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDTEST",
      AWS_SECRET_ACCESS_KEY: "secret",
    };
    const { stdout } = await run(NODE, ["--input-type=module", "-e", SDK_CHILD], { env });
    const arns = JSON.parse(stdout) as string[];
    const today = Date.now();
    const candidates = [defaultAnchor(today), defaultAnchor(today) - 86_400_000].map((anchor) =>
      generateDataset({ events: 180, seed: 9, accounts: 25, anchor }).map((e) => e.arn),
    );
    expect(candidates).toContainEqual(arns);
    expect(await stop(child)).toBe(0);
  });

  for (const [name, command, args] of RUNTIMES) {
    it(`runs under ${name} and stops cleanly on SIGTERM`, async () => {
      const { child, url } = await startProcess(command, [
        ...args,
        "--port",
        "0",
        "--events",
        "30",
        "--latency",
        "1",
      ]);
      const client = new HealthClient({ region: "us-east-1", endpoint: url, credentials: CREDENTIALS });
      const page = await client.send(new DescribeEventsForOrganizationCommand({ maxResults: 100 }));
      client.destroy();
      expect(page.events).toHaveLength(30);
      expect(await stop(child)).toBe(0);
    });
  }

  it("rejects a bad flag with one line naming it and exit code 2", async () => {
    for (const [flag, value, pattern] of [
      ["--rate-limit", "fast", /^health-simulator: --rate-limit must be a number from 0 to \d+, got 'fast'/],
      ["--error-rate", "1.5", /--error-rate must be a number from 0 to 1, got '1.5'/],
      ["--organizational-view", "on", /--organizational-view must be ENABLED, DISABLED or PENDING, got 'on'/],
      ["--port", "70000", /--port must be a whole number from 0 to 65535/],
      ["--colour", "red", /Unknown option '--colour'/],
    ] as const) {
      const error = (await run(NODE, [MAIN, flag, value]).then(
        () => undefined,
        (e: { code: number; stderr: string; stdout: string }) => e,
      )) as { code: number; stderr: string; stdout: string } | undefined;
      expect(error?.code).toBe(2);
      expect(error?.stderr.trim().split("\n")).toHaveLength(1);
      expect(error?.stderr).toMatch(pattern);
      expect(error?.stdout).toBe("");
    }
  });

  it("prints help", async () => {
    const { stdout } = await run(NODE, [MAIN, "--help"]);
    expect(stdout).toMatch(/--rate-limit N/);
  });
});
