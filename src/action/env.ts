/** What the runner tells a JavaScript action about the run, read once (REFERENCE.md, sections 2 and 3). */
export interface RunContext {
  readonly job: string;
  readonly runId: string;
  readonly attempt: number;
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? "1");
  return {
    job: env.GITHUB_JOB || "job",
    runId: env.GITHUB_RUN_ID || "local",
    attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
  };
}
