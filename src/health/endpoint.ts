import { DescribeEventsCommand, type HealthClient } from "@aws-sdk/client-health";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import { errorMessage, redactUrl, shorten, UsageError } from "../errors.ts";

/** Where the SDK takes an endpoint from besides the region, for messages that tell the user where to look. */
export const ENDPOINT_SETTINGS =
  "AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL or endpoint_url in the AWS config file";

/** The command class supplies the endpoint parameters; its declared return type is looser than the parameter's. */
type Instructions = Parameters<typeof getEndpointFromInstructions>[1];

export interface Endpoint {
  /** The URL requests go to, without user name or password, for messages. */
  readonly name: string;
  /** Set by the configuration (or the simulator) rather than the region's public endpoint. */
  readonly custom: boolean;
}

function isHttpUrl(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function invalid(value: string): UsageError {
  return new UsageError(
    `Invalid endpoint for AWS Health: ${shorten(redactUrl(value))} (from ${ENDPOINT_SETTINGS}). Allowed: an http or https URL such as https://health.us-east-1.amazonaws.com.`,
  );
}

/**
 * The endpoint the SDK will send to, asked of the SDK's own configuration: the tool reading
 * AWS_ENDPOINT_URL_HEALTH itself missed AWS_ENDPOINT_URL and ~/.aws/config (issue 15), and named an
 * endpoint that was never contacted. A configured value that is no http(s) URL is invalid input.
 */
export async function resolveEndpoint(client: HealthClient): Promise<Endpoint> {
  const config = client.config;
  const configured = config.isCustomEndpoint ? undefined : await config.serviceConfiguredEndpoint?.();
  if (configured !== undefined && !isHttpUrl(configured)) throw invalid(configured);
  let url: URL;
  try {
    // The same call the SDK's endpoint middleware makes, on a copy of the config as it does.
    ({ url } = await getEndpointFromInstructions({}, DescribeEventsCommand as Instructions, { ...config }));
  } catch (error) {
    throw new UsageError(`Cannot resolve the endpoint of AWS Health: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!isHttpUrl(url.href)) throw invalid(url.href);
  const path = url.pathname === "/" ? "" : url.pathname;
  return {
    name: `${url.protocol}//${url.host}${path}`,
    custom: Boolean(config.isCustomEndpoint) || configured !== undefined,
  };
}
