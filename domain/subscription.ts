/** Rules of a subscription period, shared by the workflow, the read model and the bot. */

export const SUBSCRIPTION_STATUSES = ['trial', 'active', 'grace', 'expired', 'revoked'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
/** The statuses in which the member keeps the plan's channels (for drizzle `inArray`). */
export const STATUSES_WITH_ACCESS = ['trial', 'active', 'grace'] as const satisfies readonly SubscriptionStatus[];
const WITH_ACCESS: ReadonlySet<string> = new Set(STATUSES_WITH_ACCESS);

/** A renewal while access lasts extends from the current expiry; otherwise from now. */
export function renewedExpiry(currentExpiry: number | undefined, now: number, durationMs: number): number {
  const base = currentExpiry !== undefined && currentExpiry > now ? currentExpiry : now;
  return base + durationMs;
}

/** Status at a moment, from the period end and the grace period. */
export function statusAt(now: number, expiresAt: number, graceMs: number, trial: boolean): SubscriptionStatus {
  if (now < expiresAt) return trial ? 'trial' : 'active';
  if (now < expiresAt + graceMs) return 'grace';
  return 'expired';
}

export function hasAccess(status: SubscriptionStatus): boolean {
  return WITH_ACCESS.has(status);
}

/** Reminder moments still ahead, latest offset first (e.g. 3 days before, then 1 day before). */
export function reminderTimes(expiresAt: number, offsetsMs: number[], after: number): number[] {
  return offsetsMs
    .map((offset) => expiresAt - offset)
    .filter((at) => at > after)
    .sort((a, b) => a - b);
}
