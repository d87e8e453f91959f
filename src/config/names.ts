/** Input names, shared by action inputs and CLI flags (`page-size` and `--page-size`). */
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
  checkpointKey: "checkpoint-key",
  cacheSaveInterval: "cache-save-interval",
  overlap: "overlap",
  firstSince: "first-since",
  mergeInto: "merge-into",
  archive: "archive",
  layout: "layout",
  matrix: "matrix",
  githubToken: "github-token",
} as const;

/** `since: last-run`: continue from the pinned `until` of the last complete backfill of the query. */
export const LAST_RUN = "last-run";

export type InputName = (typeof INPUT)[keyof typeof INPUT];

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
