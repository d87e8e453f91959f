/** Input names shared by action inputs and CLI flags (`page-size` and `--page-size`). */
export const INPUT = {
  scope: "scope",
  region: "region",
  since: "since",
  until: "until",
  filter: "filter",
  pageSize: "page-size",
  details: "details",
  locale: "locale",
  output: "output",
  checkpoint: "checkpoint",
  maxCheckpointAge: "max-checkpoint-age",
  expired: "expired",
  restart: "restart",
  simulate: "simulate",
  overlap: "overlap",
  firstSince: "first-since",
  mergeInto: "merge-into",
  archive: "archive",
  layout: "layout",
} as const;

/** Inputs only the action has: its Actions cache, and what the runner expands (matrix, token). */
export const ACTION_INPUT = {
  checkpointKey: "checkpoint-key",
  cacheSaveInterval: "cache-save-interval",
  matrix: "matrix",
  githubToken: "github-token",
} as const;

/** `since: last-run`: continue from the pinned `until` of the last complete backfill of the query. */
export const LAST_RUN = "last-run";

export type InputName = (typeof INPUT)[keyof typeof INPUT];
export type ActionInputName = (typeof ACTION_INPUT)[keyof typeof ACTION_INPUT];

/**
 * Every input's default, as action.yml declares it (test/unit/action-yml.test.ts compares them) and as
 * the script uses it for a flag left out. "" is none, or one worked out from another input (the
 * checkpoint beside the output).
 */
export const DEFAULTS = {
  [INPUT.scope]: "organization",
  [INPUT.region]: "auto",
  [INPUT.since]: "",
  [INPUT.until]: "",
  [INPUT.filter]: "{}",
  [INPUT.pageSize]: "100",
  [INPUT.details]: "description",
  [INPUT.locale]: "",
  [INPUT.output]: "health-events.ndjson",
  [INPUT.checkpoint]: "",
  [INPUT.maxCheckpointAge]: "24h",
  [INPUT.expired]: "fail",
  [INPUT.restart]: "false",
  [INPUT.simulate]: "false",
  [INPUT.overlap]: "15m",
  /** AWS keeps Health events for 90 days: the default first window of `since: last-run`. */
  [INPUT.firstSince]: "90d",
  [INPUT.mergeInto]: "",
  [INPUT.archive]: "",
  [INPUT.layout]: "standard",
} as const satisfies Record<InputName, string>;

/** The action-only inputs' defaults; the runner expands the matrix and the token before the action reads them. */
export const ACTION_DEFAULTS = {
  [ACTION_INPUT.checkpointKey]: "health-backfill",
  [ACTION_INPUT.cacheSaveInterval]: "30s",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
  [ACTION_INPUT.matrix]: "${{ toJSON(matrix) }}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
  [ACTION_INPUT.githubToken]: "${{ github.token }}",
} as const satisfies Record<ActionInputName, string>;

export const SCOPES = ["organization", "account"] as const;
export type Scope = (typeof SCOPES)[number];

/** What an expired checkpoint does: fail loudly (the rule), or continue the backfill by time. */
export const EXPIRED = ["fail", "continue"] as const;
export type Expired = (typeof EXPIRED)[number];

/**
 * What an S3 archive holds besides the archive, the deltas and the record: `standard` nothing more,
 * `heidi` also every event as the EventBridge record HEIDI's Athena table reads.
 */
export const LAYOUTS = ["standard", "heidi"] as const;
export type Layout = (typeof LAYOUTS)[number];

export const DETAILS = ["none", "description", "entities"] as const;
export type Details = (typeof DETAILS)[number];

/**
 * Regions with an AWS Health endpoint. Health is global but served from few regions: us-east-1 is
 * active and us-east-2 passive in the commercial partition; China and GovCloud have their own. A token
 * is only valid against the region that issued it (https://docs.aws.amazon.com/health/latest/ug/health-api.html#endpoints).
 */
export const HEALTH_REGIONS = ["us-east-1", "us-east-2", "cn-northwest-1", "us-gov-west-1"] as const;

/** `region: auto`: the active region of the commercial partition, from the global endpoint's CNAME. */
export const AUTO_REGION = "auto";
