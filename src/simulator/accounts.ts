import { mixSeed, mulberry32, randInt } from "./prng.ts";

/**
 * The account the simulator's caller is: the organization's management account, first in the
 * organization. Fixed (the example account id of the AWS documentation) so that the account-scope
 * view of any dataset is known without its seed.
 */
export const CALLER_ACCOUNT_ID = "111122223333";

/** The organization's 12-digit account ids: the caller first, then `count - 1` ids from the seed. */
export function organizationAccounts(seed: number, count: number): string[] {
  const rng = mulberry32(mixSeed(seed, 0xacc0));
  const ids = new Set<string>([CALLER_ACCOUNT_ID]);
  while (ids.size < count) {
    ids.add(String(randInt(rng, 100_000_000_000, 999_999_999_999)));
  }
  return [...ids];
}
