import { descriptionForAccount } from "./dataset.ts";
import { toEpochSeconds } from "./protocol.ts";
import type { SimEntity, SimEvent } from "./types.ts";

type Json = Record<string, unknown>;

/** OrganizationEvent: no Availability Zone in this shape. */
export function organizationEventJson(e: SimEvent): Json {
  const out: Json = {
    arn: e.arn,
    service: e.service,
    eventTypeCode: e.eventTypeCode,
    eventTypeCategory: e.eventTypeCategory,
    eventScopeCode: e.eventScopeCode,
    region: e.region,
    startTime: toEpochSeconds(e.startTime),
  };
  if (e.endTime) out.endTime = toEpochSeconds(e.endTime);
  out.lastUpdatedTime = toEpochSeconds(e.lastUpdatedTime);
  out.statusCode = e.statusCode;
  return out;
}

/** Event (DescribeEvents and the details operations). */
export function eventJson(e: SimEvent): Json {
  const out: Json = {
    arn: e.arn,
    service: e.service,
    eventTypeCode: e.eventTypeCode,
    eventTypeCategory: e.eventTypeCategory,
    region: e.region,
  };
  if (e.availabilityZone !== undefined) out.availabilityZone = e.availabilityZone;
  out.startTime = toEpochSeconds(e.startTime);
  if (e.endTime) out.endTime = toEpochSeconds(e.endTime);
  out.lastUpdatedTime = toEpochSeconds(e.lastUpdatedTime);
  out.statusCode = e.statusCode;
  out.eventScopeCode = e.eventScopeCode;
  return out;
}

/** EventDetails / OrganizationEventDetails; `awsAccountId` only for account-specific events. */
export function detailsJson(e: SimEvent, awsAccountId: string | undefined, organization: boolean): Json {
  const out: Json = {};
  if (organization && awsAccountId !== undefined) out.awsAccountId = awsAccountId;
  out.event = eventJson(e);
  out.eventDescription = { latestDescription: descriptionForAccount(e, awsAccountId) };
  if (Object.keys(e.metadata).length > 0) out.eventMetadata = { ...e.metadata };
  return out;
}

export function entityJson(entity: SimEntity, eventArn: string): Json {
  const out: Json = { entityArn: entity.entityArn, eventArn, entityValue: entity.entityValue };
  if (entity.entityUrl !== undefined) out.entityUrl = entity.entityUrl;
  out.awsAccountId = entity.awsAccountId;
  out.lastUpdatedTime = toEpochSeconds(entity.lastUpdatedTime);
  out.statusCode = entity.statusCode;
  if (Object.keys(entity.tags).length > 0) out.tags = { ...entity.tags };
  return out;
}
