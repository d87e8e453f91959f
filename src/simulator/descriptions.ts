import type { SimEvent } from "./types.ts";

/** A description in the style AWS Health writes them, from the event's own fields. */
export function describeEvent(e: SimEvent, summary: string): string {
  const where = e.region === "global" ? "all Regions" : `the ${e.region} Region`;
  const start = e.startTime.toISOString();
  switch (e.eventTypeCategory) {
    case "scheduledChange":
      return (
        `AWS has scheduled ${summary} in ${where}, starting ${start}. ` +
        "You can see the affected resources in the Affected resources tab of the AWS Health Dashboard."
      );
    case "accountNotification":
      return (
        `This is a notification about ${summary} in ${where}. ` +
        "Please review the affected resources and take action before the dates given in this notification."
      );
    default:
      if (e.statusCode === "closed" && e.endTime) {
        return (
          `Between ${start} and ${e.endTime.toISOString()} we experienced ${summary} in ${where}. ` +
          "The issue has been resolved and the service is operating normally."
        );
      }
      return `We are investigating ${summary} in ${where}. We will provide an update as more information becomes available.`;
  }
}
