/** AWS JSON 1.1 as AWS Health speaks it: targets, bodies, timestamps, errors and the shapes it answers. */

import { descriptionForAccount } from "./dataset.ts";
import type { SimEntity, SimEvent } from "./types.ts";

type Json = Record<string, unknown>;

export const JSON_11 = "application/x-amz-json-1.1";
export const TARGET_PREFIX = "AWSHealth_20160804.";

/** An error answered to the client: `{"__type": code, "message": ...}` with an HTTP status. */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
  }
}

export function serializationError(message: string): ServiceError {
  return new ServiceError("SerializationException", message);
}

export function errorBody(e: ServiceError): string {
  return JSON.stringify({ __type: e.code, message: e.message });
}

/** The operation named by `x-amz-target`, or undefined when the header names another service. */
export function operationFromTarget(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith(TARGET_PREFIX)) return undefined;
  return target.slice(TARGET_PREFIX.length);
}

/** The region of the SigV4 credential scope: `Credential=AKID/20261126/us-east-1/health/aws4_request`. */
export function regionFromAuthorization(authorization: string): string | undefined {
  const match = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/[^/,\s]+\/aws4_request/.exec(authorization);
  return match?.[1];
}

/** The request body as a JSON object; an empty body counts as `{}` (the SDK sends `{}` for no input). */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw serializationError("The request body is not valid JSON");
  }
  if (!isRecord(value)) throw serializationError("The request body must be a JSON object");
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Epoch seconds with a millisecond fraction, the wire form of a timestamp (1704067200.123). */
export function toEpochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

/** A wire timestamp to a Date; anything but a finite number is a serialization error. */
export function fromEpochSeconds(value: unknown, path: string): Date {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw serializationError(`Expected epoch seconds (a number) at '${path}'`);
  }
  return new Date(Math.round(value * 1000));
}

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
