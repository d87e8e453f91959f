/**
 * The one STS call the backfill makes, GetCallerIdentity, in STS's own protocol (awsQuery: a form body
 * in, XML out), so the real STS client can ask the simulator whose credentials it holds
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */

import { randomUUID } from "node:crypto";

const NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** Whether a request body is an STS query call (`Action=...&Version=2011-06-15`). */
export function isStsCall(contentType: string | undefined, body: string): boolean {
  return (contentType ?? "").startsWith("application/x-www-form-urlencoded") && /(^|&)Action=/.test(body);
}

/** The answer to an STS call: GetCallerIdentity for `account`, anything else an error. */
export function answerSts(body: string, account: string): { status: number; body: string } {
  const action = new URLSearchParams(body).get("Action");
  const requestId = randomUUID();
  if (action !== "GetCallerIdentity") {
    return {
      status: 400,
      body:
        `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
        `<Message>The simulator answers GetCallerIdentity only, not ${escapeXml(action ?? "(none)")}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  return {
    status: 200,
    body:
      `<GetCallerIdentityResponse xmlns="${NAMESPACE}"><GetCallerIdentityResult>` +
      `<Arn>arn:aws:sts::${account}:assumed-role/health-backfill/simulated</Arn>` +
      `<UserId>AROASIMULATED:simulated</UserId><Account>${account}</Account>` +
      `</GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
      `</GetCallerIdentityResponse>`,
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
