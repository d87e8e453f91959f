import type { Family } from "../types.ts";
import { describeAffectedAccounts } from "./accounts.ts";
import type { Json, OperationContext } from "./context.ts";
import { describeEventDetails, describeEventDetailsForOrganization } from "./details.ts";
import { describeAffectedEntities, describeAffectedEntitiesForOrganization } from "./entities.ts";
import { describeEvents } from "./events.ts";

export type { Family };

export interface Operation {
  family: Family;
  /** Needs organizational view enabled. */
  organization: boolean;
  handle(ctx: OperationContext): Json;
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  DescribeEventsForOrganization: {
    family: "events",
    organization: true,
    handle: describeEvents("organization"),
  },
  DescribeEvents: { family: "events", organization: false, handle: describeEvents("account") },
  DescribeAffectedAccountsForOrganization: {
    family: "accounts",
    organization: true,
    handle: describeAffectedAccounts,
  },
  DescribeEventDetailsForOrganization: {
    family: "details",
    organization: true,
    handle: describeEventDetailsForOrganization,
  },
  DescribeEventDetails: { family: "details", organization: false, handle: describeEventDetails },
  DescribeAffectedEntitiesForOrganization: {
    family: "entities",
    organization: true,
    handle: describeAffectedEntitiesForOrganization,
  },
  DescribeAffectedEntities: { family: "entities", organization: false, handle: describeAffectedEntities },
  DescribeHealthServiceStatusForOrganization: {
    family: "status",
    organization: false,
    handle: (ctx) => ({ healthServiceAccessStatusForOrganization: ctx.state.faults.organizationalView }),
  },
};

export function findOperation(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}
