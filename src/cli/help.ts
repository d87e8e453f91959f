export const HELP = `health-backfill: back up AWS Health events page by page, resumable after any interruption.

Usage: bun src/main.ts [flags]   |   deno run -A src/main.ts [flags]   |   node dist/index.js [flags]

Flags (the same names as the GitHub Action's inputs):
  --scope organization|account   organization: all accounts (DescribeEventsForOrganization, needs
                                 organizational view); account: this account (DescribeEvents).
                                 Default: organization
  --region REGION                Health API region: auto (default: the active one of us-east-1 and
                                 us-east-2, followed through a failover), us-east-1, us-east-2,
                                 cn-northwest-1, us-gov-west-1
  --since TIME|last-run          Lower bound on lastUpdatedTime: ISO 8601 (2026-08-01T00:00:00Z), a
                                 duration back from now (90d, 36h), or last-run: from the until of the
                                 last complete run of the same flags, less --overlap (the output is
                                 then what changed since). Default: none (all 90 days kept)
  --first-since TIME             Where --since last-run starts when no complete run is on record.
                                 Default: 90d (everything AWS keeps)
  --overlap DURATION             How far before the last complete run's until --since last-run starts
                                 again, for updates AWS publishes slightly back-dated; 0s-1d.
                                 Default: 15m
  --until TIME                   Upper bound on lastUpdatedTime. Default: when the backfill first started
                                 (pinned in the checkpoint, so resumes see the same events)
  --filter JSON|@FILE            Further filter members: services, eventTypeCategories, awsAccountIds,
                                 regions, eventTypeCodes, eventStatusCodes, ... Default: {}
  --page-size N                  maxResults per list call, 1-100. Default: 100
  --details none|description|entities
                                 none: events only; description: plus affected accounts, descriptions
                                 and metadata; entities: plus affected entities. Default: description
  --locale TAG                   Locale for descriptions (en). Default: the API's
  --output FILE                  JSON Lines output. Default: health-events.ndjson
  --checkpoint FILE              Checkpoint file. Default: <output>.checkpoint.json
  --merge-into FILE              After the backfill completes, fold the output into this JSON Lines
                                 archive: one line per event, its newest version, newest first.
                                 Replaced atomically. Default: none
  --archive s3://BUCKET/PREFIX   After the backfill completes, store the delta under PREFIX/deltas/,
                                 fold it into PREFIX/archive/archive.ndjson.gz, then move the last-run
                                 record PREFIX/state/<backup>.json (conditional writes). Default: none
  --layout standard|heidi        heidi: also write every event where HEIDI's Athena table reads it
                                 (DataCollection-data/heidi.health/). Default: standard
  --max-checkpoint-age DURATION  Refuse a checkpoint whose token is older than this. Default: 24h
  --expired fail|continue        An expired checkpoint fails (default), or continues by time
  --restart                      Discard the checkpoint and partial output; start from the first page
  --simulate [N]                 Run against the built-in AWS Health simulator with N events (2000)
  --debug                        Print stack traces
  -h, --help                     This help

With --since last-run, the record of the last complete run is kept beside the output, one file per
backup (health-backfill.last-run.<backup>.json), or with --archive in S3; only a complete run moves it.

AWS credentials and endpoint come from the SDK's usual chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, web
identity, instance roles; AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL, endpoint_url in ~/.aws/config).

Exit status: 0 complete; 1 a transient failure (the message says whether progress is saved; running
again helps); 2 invalid usage or input; 3 the checkpoint cannot be used (expired, other query or output,
unreadable, output missing or changed: decide, then --restart); 4 setup or permissions (grant or enable
what the message names); 130 interrupted.
`;
