/**
 * Disputes (workflows/escrow.ts `dispute` and `resolveDispute` updates, the `disputes` read model):
 * a buyer who owns a paid product may open one, with a reason, while its escrow still holds the
 * money; that freezes the release until an admin refunds the buyer, releases to the seller or
 * splits. Pure rules shared by the workflow's validators and the edges' early answers.
 */
import type { EscrowStage } from './escrow';
import { fromMinor, toMinor } from './money';
import { MAX_DISPUTE_REASON_LENGTH, type DisputeStatus } from './order';
import { STARS_CURRENCY } from './rail';

/** Why a buyer cannot open a dispute (each has a message in the bot). */
export type DisputeRefusal =
  'not-buyer' | 'not-paid' | 'refunded' | 'outside-hold' | 'already-disputed' | 'bad-reason' | 'no-escrow';

export const DISPUTE_REFUSED = 'DisputeRefused';

/** The reason as kept: trimmed, 1..MAX_DISPUTE_REASON_LENGTH characters; undefined when it is not one. */
export function disputeReason(text: string): string | undefined {
  const reason = typeof text === 'string' ? text.trim() : '';
  return reason.length >= 1 && reason.length <= MAX_DISPUTE_REASON_LENGTH ? reason : undefined;
}

/** Whether the escrow, as it stands, takes a dispute now (`now` and `releaseAt` in ms). */
export function disputeRefusal(escrow: {
  stage: EscrowStage;
  releaseAt?: number;
  disputed: boolean;
  now: number;
}): DisputeRefusal | undefined {
  if (escrow.disputed) return 'already-disputed';
  if (escrow.stage === 'refunded') return 'refunded';
  if (escrow.stage === 'released' || escrow.stage === 'split') return 'outside-hold';
  if (escrow.stage === 'disputed') return 'already-disputed';
  if (escrow.releaseAt !== undefined && escrow.now >= escrow.releaseAt) return 'outside-hold';
  return undefined;
}

/** An admin's resolution of a dispute. `split`: the buyer's share, minor units, the rest to the seller. */
export type DisputeDecision = { type: 'refund' } | { type: 'release' } | { type: 'split'; buyerShareMinor: string };
export type DisputeDecisionType = DisputeDecision['type'];
export const DISPUTE_DECISIONS: readonly DisputeDecisionType[] = ['refund', 'release', 'split'];

const STATUS_AFTER = { refund: 'refunded', release: 'released', split: 'split' } as const satisfies Record<
  DisputeDecisionType,
  DisputeStatus
>;

/** The `disputes` row's status a decision leaves. */
export const disputeStatusOf = (type: DisputeDecisionType) => STATUS_AFTER[type];

/**
 * Why a decision is malformed for this sale (one line for an admin). Telegram refunds a Stars
 * payment only whole (`refundStarPayment` has no amount), so a Stars sale is refunded or released.
 */
export function decisionRefusal(
  decision: DisputeDecision,
  sale: { priceMinor: bigint; currency: string },
): string | undefined {
  switch (decision?.type) {
    case 'refund':
    case 'release':
      return undefined;
    case 'split': {
      if (sale.currency === STARS_CURRENCY) return 'a Stars payment is refunded whole: refund or release';
      if (typeof decision.buyerShareMinor !== 'string' || !/^\d{1,18}$/.test(decision.buyerShareMinor))
        return "the buyer's share must be an amount";
      const share = BigInt(decision.buyerShareMinor);
      if (share <= 0n || share >= sale.priceMinor)
        return `the buyer's share is more than 0 and less than the price (${fromMinor(sale.priceMinor, sale.currency)} ${sale.currency})`;
      return undefined;
    }
    default:
      return 'a dispute is resolved by refund, release or split';
  }
}

/** Who decided, for a message: `admin <id>` for an admin's Telegram id, else as named (`ops`). */
export const decidedBy = (by: string | undefined) => (by === undefined ? '—' : /^\d+$/.test(by) ? `admin ${by}` : by);

/** Half the price, rounded down: the split offered by default. */
export const halfShare = (priceMinor: bigint) => priceMinor / 2n;

/**
 * The buyer's share as an admin types it: a percentage of the price (`30%`, `12.5%`, rounded down)
 * or an amount in the sale's currency (`7.50`). Undefined when it is neither; the range is checked
 * by `decisionRefusal`.
 */
export function parseBuyerShare(text: string, sale: { priceMinor: bigint; currency: string }): bigint | undefined {
  const given = text.trim().replace(',', '.');
  const percent = /^(\d{1,3}(?:\.\d{1,2})?)\s*%$/.exec(given);
  if (percent) {
    const bps = toMinor(percent[1]!, 'USD');
    return bps > 10_000n ? undefined : (sale.priceMinor * bps) / 10_000n;
  }
  try {
    return toMinor(given, sale.currency);
  } catch {
    return undefined;
  }
}
