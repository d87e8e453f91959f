import { tmpdir } from "node:os";

/** What the runner tells a JavaScript action about the run, read once (https://docs.github.com/en/actions/reference/workflows-and-actions/variables). */
export interface RunContext {
  readonly job: string;
  readonly runId: string;
  readonly attempt: number;
  /** `owner/name`, for the REST API; undefined outside a runner. */
  readonly repository: string | undefined;
  /** GITHUB_API_URL: api.github.com, or a GitHub Enterprise Server's API. */
  readonly apiUrl: string;
  /** RUNNER_TEMP: the same path in every attempt on a hosted runner, emptied after each job. */
  readonly runnerTemp: string;
  /** The workflow file, `owner/repo/.github/workflows/backup.yml` (GITHUB_WORKFLOW_REF without its ref). */
  readonly workflow?: string | undefined;
  /** GITHUB_WORKSPACE: files inside it are named relative to it in a backup's identity. */
  readonly workspace?: string | undefined;
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? "1");
  return {
    job: env.GITHUB_JOB || "job",
    runId: env.GITHUB_RUN_ID || "local",
    attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
    repository: env.GITHUB_REPOSITORY || undefined,
    apiUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
    runnerTemp: env.RUNNER_TEMP || tmpdir(),
    workflow: env.GITHUB_WORKFLOW_REF?.replace(/@.*$/, "") || undefined,
    workspace: env.GITHUB_WORKSPACE || undefined,
  };
}
