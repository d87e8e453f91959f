import type { EntityKind, SimEvent } from "./types.ts";

export interface EventTypeSpec {
  service: string;
  code: string;
  category: SimEvent["eventTypeCategory"];
  /** Which scopes an event of this type can have. */
  scopes: readonly SimEvent["eventScopeCode"][];
  entity: EntityKind;
  /** Global services report the pseudo-region "global". */
  global?: boolean;
  /** Issues in one Availability Zone carry it. */
  zonal?: boolean;
  summary: string;
  /** Pool of metadata maps; one is chosen per event (shared, frozen: they never change). */
  metadata?: readonly Readonly<Record<string, string>>[];
}

const PUB = ["PUBLIC"] as const;
const ACC = ["ACCOUNT_SPECIFIC"] as const;
const BOTH = ["PUBLIC", "ACCOUNT_SPECIFIC"] as const;

const meta = (...maps: Record<string, string>[]) => maps.map((m) => Object.freeze(m));

/** Event types modelled on the ones AWS Health really reports. */
export const EVENT_TYPES: readonly EventTypeSpec[] = [
  {
    service: "EC2",
    code: "AWS_EC2_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: BOTH,
    entity: "instance",
    zonal: true,
    summary: "increased API error rates and latencies for EC2 instances",
  },
  {
    service: "EC2",
    code: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
    category: "scheduledChange",
    scopes: ACC,
    entity: "instance",
    summary: "the retirement of EC2 instances running on degraded hardware",
  },
  {
    service: "EC2",
    code: "AWS_EC2_SYSTEM_MAINTENANCE_EVENT",
    category: "scheduledChange",
    scopes: ACC,
    entity: "instance",
    summary: "scheduled system maintenance of EC2 hosts",
  },
  {
    service: "EC2",
    code: "AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED",
    category: "scheduledChange",
    scopes: ACC,
    entity: "instance",
    summary: "a reboot of EC2 instances for maintenance",
  },
  {
    service: "EBS",
    code: "AWS_EBS_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "volume",
    zonal: true,
    summary: "degraded performance for some EBS volumes",
  },
  {
    service: "EBS",
    code: "AWS_EBS_VOLUME_LOST",
    category: "issue",
    scopes: ACC,
    entity: "volume",
    summary: "EBS volumes lost after a hardware failure",
  },
  {
    service: "RDS",
    code: "AWS_RDS_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: BOTH,
    entity: "db",
    summary: "increased connectivity issues for RDS databases",
  },
  {
    service: "RDS",
    code: "AWS_RDS_MAINTENANCE_SCHEDULED",
    category: "scheduledChange",
    scopes: ACC,
    entity: "db",
    summary: "required maintenance of RDS database instances",
    metadata: meta(
      { engine: "mysql", engine_version: "8.0.35" },
      { engine: "postgres", engine_version: "15.5" },
    ),
  },
  {
    service: "RDS",
    code: "AWS_RDS_PLANNED_LIFECYCLE_EVENT",
    category: "accountNotification",
    scopes: ACC,
    entity: "db",
    summary: "the end of standard support for an RDS engine version",
    metadata: meta({ deprecated_versions: "MySQL 5.7" }, { deprecated_versions: "PostgreSQL 11" }),
  },
  {
    service: "LAMBDA",
    code: "AWS_LAMBDA_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "function",
    summary: "increased invocation error rates for Lambda functions",
  },
  {
    service: "LAMBDA",
    code: "AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
    category: "accountNotification",
    scopes: ACC,
    entity: "function",
    summary: "the deprecation of a Lambda runtime",
    metadata: meta(
      { deprecated_versions: "python3.8" },
      { deprecated_versions: "nodejs16.x" },
      { deprecated_versions: "java8" },
    ),
  },
  {
    service: "S3",
    code: "AWS_S3_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "bucket",
    summary: "elevated error rates for S3 PUT and GET requests",
  },
  {
    service: "S3",
    code: "AWS_S3_OPERATIONAL_NOTIFICATION",
    category: "accountNotification",
    scopes: ACC,
    entity: "bucket",
    summary: "a change that affects some of your S3 buckets",
  },
  {
    service: "EKS",
    code: "AWS_EKS_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "cluster",
    summary: "delays in provisioning EKS clusters and node groups",
  },
  {
    service: "EKS",
    code: "AWS_EKS_PLANNED_LIFECYCLE_EVENT",
    category: "accountNotification",
    scopes: ACC,
    entity: "cluster",
    summary: "the end of standard support for a Kubernetes version",
    metadata: meta({ kubernetes_version: "1.27" }, { kubernetes_version: "1.28" }),
  },
  {
    service: "EKS",
    code: "AWS_EKS_SECURITY_NOTIFICATION",
    category: "accountNotification",
    scopes: ACC,
    entity: "cluster",
    summary: "a security update that affects EKS clusters",
  },
  {
    service: "DYNAMODB",
    code: "AWS_DYNAMODB_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: BOTH,
    entity: "table",
    summary: "increased latencies for DynamoDB requests",
  },
  {
    service: "DYNAMODB",
    code: "AWS_DYNAMODB_CONTROLPLANE_API_ISSUE",
    category: "issue",
    scopes: BOTH,
    entity: "table",
    summary: "errors for DynamoDB control plane APIs",
  },
  {
    service: "ELASTICLOADBALANCING",
    code: "AWS_ELASTICLOADBALANCING_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "loadbalancer",
    zonal: true,
    summary: "elevated connection errors for load balancers",
  },
  {
    service: "ECS",
    code: "AWS_ECS_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "cluster",
    summary: "increased task launch failures for ECS",
  },
  {
    service: "ECS",
    code: "AWS_ECS_TASK_PATCHING_RETIREMENT",
    category: "scheduledChange",
    scopes: ACC,
    entity: "cluster",
    summary: "the retirement of ECS tasks for security patching",
  },
  {
    service: "ELASTICACHE",
    code: "AWS_ELASTICACHE_UPDATE_AVAILABLE",
    category: "scheduledChange",
    scopes: ACC,
    entity: "cluster",
    summary: "a service update available for ElastiCache clusters",
  },
  {
    service: "VPN",
    code: "AWS_VPN_REDUNDANCY_LOSS",
    category: "issue",
    scopes: ACC,
    entity: "vpn",
    summary: "the loss of tunnel redundancy for Site-to-Site VPN connections",
  },
  {
    service: "ACM",
    code: "AWS_ACM_RENEWAL_STATE_CHANGE",
    category: "accountNotification",
    scopes: ACC,
    entity: "certificate",
    summary: "certificates that could not be renewed automatically",
  },
  {
    service: "CLOUDFRONT",
    code: "AWS_CLOUDFRONT_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "distribution",
    global: true,
    summary: "delayed propagation of CloudFront configuration changes",
  },
  {
    service: "IAM",
    code: "AWS_IAM_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "account",
    global: true,
    summary: "increased latencies for IAM API calls",
  },
  {
    service: "ROUTE53",
    code: "AWS_ROUTE53_OPERATIONAL_ISSUE",
    category: "issue",
    scopes: PUB,
    entity: "account",
    global: true,
    summary: "delayed propagation of Route 53 DNS changes",
  },
  {
    service: "BILLING",
    code: "AWS_BILLING_NOTIFICATION",
    category: "accountNotification",
    scopes: ACC,
    entity: "account",
    global: true,
    summary: "a change to the billing of your account",
  },
  {
    service: "RISK",
    code: "AWS_RISK_CREDENTIALS_EXPOSED",
    category: "issue",
    scopes: ACC,
    entity: "account",
    global: true,
    summary: "access keys that were exposed publicly",
  },
  {
    service: "CLOUDWATCH",
    code: "AWS_CLOUDWATCH_OPERATIONAL_ISSUE",
    category: "investigation",
    scopes: PUB,
    entity: "account",
    summary: "delayed CloudWatch metrics, under investigation",
  },
];

/** Regions that report events, weighted like a typical organization (most in us-east-1). */
export const REGIONS: readonly (readonly [string, number])[] = [
  ["us-east-1", 30],
  ["us-east-2", 10],
  ["us-west-1", 4],
  ["us-west-2", 12],
  ["ca-central-1", 3],
  ["eu-west-1", 10],
  ["eu-west-2", 4],
  ["eu-central-1", 7],
  ["eu-north-1", 2],
  ["ap-southeast-1", 5],
  ["ap-southeast-2", 4],
  ["ap-northeast-1", 5],
  ["ap-south-1", 3],
  ["sa-east-1", 1],
];

/** Category weights for picking an event type (investigations are rare). */
export const CATEGORY_WEIGHT: Readonly<Record<SimEvent["eventTypeCategory"], number>> = {
  issue: 10,
  accountNotification: 8,
  scheduledChange: 8,
  investigation: 1,
};

const TYPE_BY_CODE = new Map(EVENT_TYPES.map((t) => [t.code, t] as const));

/** The catalog's event type of a code; undefined for a code it does not have. */
export function eventType(code: string): EventTypeSpec | undefined {
  return TYPE_BY_CODE.get(code);
}
