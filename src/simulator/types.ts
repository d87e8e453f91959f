/**
 * The simulator's shared types, in one file so that the modules that use them do not import each
 * other in a circle (catalog, dataset, organization; server, handler and the operations).
 */

/** What an affected entity of an event type looks like (its entityValue). */
export type EntityKind =
  | "instance"
  | "volume"
  | "db"
  | "function"
  | "bucket"
  | "cluster"
  | "table"
  | "loadbalancer"
  | "certificate"
  | "distribution"
  | "vpn"
  | "account";

export interface SimEntity {
  entityArn: string;
  entityValue: string;
  entityUrl?: string;
  awsAccountId: string;
  lastUpdatedTime: Date;
  statusCode: "IMPAIRED" | "UNIMPAIRED" | "UNKNOWN" | "PENDING" | "RESOLVED";
  tags: Record<string, string>;
}

export interface SimEvent {
  arn: string;
  service: string;
  eventTypeCode: string;
  eventTypeCategory: "issue" | "accountNotification" | "scheduledChange" | "investigation";
  region: string;
  availabilityZone?: string;
  startTime: Date;
  endTime?: Date;
  lastUpdatedTime: Date;
  statusCode: "open" | "closed" | "upcoming";
  eventScopeCode: "PUBLIC" | "ACCOUNT_SPECIFIC";
  /** Affected accounts, ascending; [] for PUBLIC. */
  accounts: string[];
  description: string;
  metadata: Record<string, string>;
  /** 0-4 per (event, account) by default; for a PUBLIC event they belong to the caller's account. */
  entities: SimEntity[];
  /** Set in a wide organization: each (event, account) has 0 to this many entities, evenly spread. */
  entitiesPerAccount?: number;
}

export interface SimulatorFaults {
  /** Added to every answered request, ms. */
  latencyMs: number;
  /** Requests per second per API family; 0 = unlimited. */
  rateLimit: number;
  /** Bucket capacity; 0 = max(1, ceil(rateLimit / 10)). */
  burst: number;
  /** Fraction answered 500 InternalFailure or 503 ServiceUnavailable. */
  errorRate: number;
  /** Fraction whose socket is destroyed with no answer. */
  dropRate: number;
  organizationalView: "ENABLED" | "DISABLED" | "PENDING";
  /** false: every call gets SubscriptionRequiredException. */
  subscription: boolean;
  accessDenied: boolean;
  /**
   * The active region (us-east-1 or us-east-2), as the CNAME of global.health.amazonaws.com names it:
   * `GET /global-cname` answers it. Both regions serve; a token is valid only in the one that issued it.
   */
  activeRegion: string;
  /**
   * How far the passive region lags behind (ms): it does not serve events updated within this long of
   * the clock's now yet (AWS: "eventually consistent with the active endpoint"). 0: no lag.
   */
  passiveLagMs: number;
}

export interface SimulatorStats {
  /** Every request received, dropped ones included. */
  requests: number;
  byOperation: Record<string, number>;
  /** Health calls by the region they were signed for. */
  byRegion: Record<string, number>;
  throttled: number;
  throttledByFamily: Record<string, number>;
  succeededByFamily: Record<string, number>;
  /** Error answers other than throttling (validation, injected faults, bad tokens, ...). */
  errors: number;
  dropped: number;
  /** Summed handling time incl. latency, for successful calls. */
  serverTimeMsByOperation: Record<string, number>;
  /**
   * Per API family: when its first request arrived and its last answer left (performance.now() ms),
   * over every answered request of the family, so `last - first` is the span of its calls.
   */
  windowByFamily: Record<string, { first: number; last: number }>;
}

/** API families share a rate limit (AWS throttles per API, the simulator per family). */
export type Family = "events" | "accounts" | "details" | "entities" | "status";

/** The simulator's live data: the dataset (newest first) and an index by ARN, both kept by addEvents. */
export interface SimState {
  dataset: SimEvent[];
  byArn: Map<string, SimEvent>;
  faults: SimulatorFaults;
}
