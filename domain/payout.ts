/**
 * Payout requests: who may withdraw what, to which wallet. Pure rules shared by the edges (which
 * validate before anything starts) and the payout workflow. Amounts are minor units (bigint).
 */
import { accounts, type Posting } from './ledger';
import { formatMoney } from './money';
import { STARS_CURRENCY } from './rail';

/** Networks an admin pays out on, with the wallet address format of each. */
export const PAYOUT_NETWORKS = ['TRC20', 'BEP20', 'ERC20'] as const;
export type PayoutNetwork = (typeof PAYOUT_NETWORKS)[number];

/** TRON: base58 (no 0, O, I, l), "T" then 33 characters. */
const TRON_ADDRESS = /^T[1-9A-HJ-NP-Za-km-z]{33}$/;
/** EVM chains (BNB Smart Chain, Ethereum): 0x and 40 hex digits. */
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const TRON_TX = /^(0x)?[0-9a-fA-F]{64}$/;
const EVM_TX = /^0x[0-9a-fA-F]{64}$/;

/**
 * Whose balance a payout is paid from (the payee kind): a referrer's commissions, a seller's
 * released sales, or a buyer's refund owed on a crypto rail.
 */
export const PAYOUT_SOURCES = ['referrer', 'seller', 'refund'] as const;
export type PayoutSource = (typeof PAYOUT_SOURCES)[number];

export type PayoutRefusal =
  | { code: 'network'; message: string }
  | { code: 'wallet'; message: string }
  | { code: 'amount'; message: string }
  | { code: 'minimum'; message: string }
  | { code: 'stars'; message: string }
  | { code: 'tx_hash'; message: string };

export class PayoutRequestError extends Error {
  constructor(readonly refusal: PayoutRefusal) {
    super(refusal.message);
    this.name = 'PayoutRequestError';
  }
  get code() {
    return this.refusal.code;
  }
}

export function isPayoutNetwork(value: string): value is PayoutNetwork {
  return (PAYOUT_NETWORKS as readonly string[]).includes(value);
}

/** The network name as users type it ("trc20", "BSC"), or a refusal. */
export function parseNetwork(raw: string): PayoutNetwork | PayoutRefusal {
  const name = raw.trim().toUpperCase();
  const aliased =
    name === 'BSC' || name === 'BEP-20'
      ? 'BEP20'
      : name === 'TRC-20' || name === 'TRON'
        ? 'TRC20'
        : name === 'ERC-20' || name === 'ETH'
          ? 'ERC20'
          : name;
  if (isPayoutNetwork(aliased)) return aliased;
  return {
    code: 'network',
    message: `Unknown network "${raw.trim().slice(0, 20)}": choose one of ${PAYOUT_NETWORKS.join(', ')}`,
  };
}

/** The wallet address, trimmed, or why it cannot receive on that network. */
export function validateWallet(network: PayoutNetwork, raw: string): string | PayoutRefusal {
  const wallet = raw.trim();
  switch (network) {
    case 'TRC20':
      if (TRON_ADDRESS.test(wallet)) return wallet;
      return {
        code: 'wallet',
        message: 'A TRC20 (TRON) address starts with T and has 34 characters (letters and digits, no 0, O, I or l)',
      };
    case 'BEP20':
    case 'ERC20':
      if (EVM_ADDRESS.test(wallet)) return wallet;
      return { code: 'wallet', message: `A ${network} address is 0x followed by 40 hexadecimal digits` };
  }
}

export function validateTxHash(network: PayoutNetwork, raw: string): string | PayoutRefusal {
  const hash = raw.trim();
  const ok = network === 'TRC20' ? TRON_TX.test(hash) : EVM_TX.test(hash);
  if (ok) return hash;
  return {
    code: 'tx_hash',
    message:
      network === 'TRC20'
        ? 'A TRC20 transaction hash is 64 hexadecimal digits'
        : `A ${network} transaction hash is 0x followed by 64 hexadecimal digits`,
  };
}

export interface PayoutRequestInput {
  amountMinor: bigint;
  currency: string;
  network: string;
  wallet: string;
}

export interface ValidPayoutRequest {
  amountMinor: bigint;
  currency: string;
  network: PayoutNetwork;
  wallet: string;
}

/** Everything that can be checked without the balance; the balance is checked when reserving. */
export function validatePayoutRequest(input: PayoutRequestInput, minimumMinor: bigint): ValidPayoutRequest {
  const network = parseNetwork(input.network);
  if (typeof network !== 'string') throw new PayoutRequestError(network);
  const wallet = validateWallet(network, input.wallet);
  if (typeof wallet !== 'string') throw new PayoutRequestError(wallet);
  const currency = input.currency.trim().toUpperCase();
  if (!/^[A-Z]{3,5}$/.test(currency))
    throw new PayoutRequestError({
      code: 'amount',
      message: `"${input.currency.slice(0, 10)}" is not a currency code`,
    });
  // Stars are Telegram's in-app currency: the platform withdraws them through Telegram, not on a chain.
  if (currency === STARS_CURRENCY)
    throw new PayoutRequestError({ code: 'stars', message: 'A Stars (XTR) balance cannot be paid out to a wallet' });
  if (input.amountMinor <= 0n)
    throw new PayoutRequestError({ code: 'amount', message: 'The amount must be more than zero' });
  if (input.amountMinor < minimumMinor) {
    throw new PayoutRequestError({
      code: 'minimum',
      message: `The minimum payout is ${formatMoney(minimumMinor, currency)} (asked for ${formatMoney(input.amountMinor, currency)})`,
    });
  }
  return { amountMinor: input.amountMinor, currency, network, wallet };
}

/** The configured minimums (infrastructure/config.ts `payout`), in minor units of the payout currency. */
export interface PayoutMinimums {
  minimumMinor: bigint;
  sellerMinimumMinor: bigint;
}

/** The smallest payout of a payee kind. A refund is owed whole, however small: it has no minimum. */
export function payoutMinimum(minimums: PayoutMinimums, source: PayoutSource): bigint {
  switch (source) {
    case 'referrer':
      return minimums.minimumMinor;
    case 'seller':
      return minimums.sellerMinimumMinor;
    case 'refund':
      return 1n;
  }
}

/** The ledger accounts a payout moves money between. */
export function payoutAccounts(source: PayoutSource, requesterId: number) {
  switch (source) {
    case 'referrer':
      return {
        available: accounts.referrerAvailable(requesterId),
        reserved: accounts.referrerReserved(requesterId),
        paidOut: accounts.payoutsSent(),
      };
    case 'seller':
      return {
        available: accounts.sellerAvailable(requesterId),
        reserved: accounts.sellerReserved(requesterId),
        paidOut: accounts.payoutsSent(),
      };
    case 'refund':
      return {
        available: accounts.userRefund(requesterId),
        reserved: accounts.userRefundReserved(requesterId),
        paidOut: accounts.payoutsSent(),
      };
  }
}

export type PayoutStatus = 'requested' | 'approved' | 'paid' | 'rejected';

/** Which admin action is allowed in which state; anything else is ignored (and the edge says why). */
export function payoutActionAllowed(status: PayoutStatus, action: 'approve' | 'reject' | 'markPaid'): boolean {
  switch (action) {
    case 'approve':
      return status === 'requested';
    case 'reject':
      return status === 'requested' || status === 'approved';
    // An admin who sent the money straight away may mark it paid without approving first.
    case 'markPaid':
      return status === 'requested' || status === 'approved';
  }
}

export interface PayoutMoney {
  payoutId: string;
  source: PayoutSource;
  requesterId: number;
  amountMinor: bigint;
  currency: string;
}

/** Ledger transaction keys, derived from the payout id so each step posts once. */
export const payoutKeys = {
  reserve: (payoutId: string) => `payout:${payoutId}:reserve`,
  release: (payoutId: string) => `payout:${payoutId}:release`,
  paid: (payoutId: string) => `payout:${payoutId}:paid`,
};

/** Available → reserved: the requested amount can no longer be spent twice. */
export function reservePosting(p: PayoutMoney): Posting {
  const a = payoutAccounts(p.source, p.requesterId);
  return {
    key: payoutKeys.reserve(p.payoutId),
    kind: 'payout-reserve',
    currency: p.currency,
    memo: `payout ${p.payoutId} requested`,
    legs: [
      { account: a.available, amountMinor: p.amountMinor },
      { account: a.reserved, amountMinor: -p.amountMinor },
    ],
  };
}

/** Reserved → available: the request was rejected. */
export function releasePosting(p: PayoutMoney): Posting {
  const a = payoutAccounts(p.source, p.requesterId);
  return {
    key: payoutKeys.release(p.payoutId),
    kind: 'payout-release',
    currency: p.currency,
    memo: `payout ${p.payoutId} rejected`,
    legs: [
      { account: a.reserved, amountMinor: p.amountMinor },
      { account: a.available, amountMinor: -p.amountMinor },
    ],
  };
}

/** Reserved → out of the platform's wallet: an admin sent the money. */
export function paidPosting(p: PayoutMoney, txHash: string): Posting {
  const a = payoutAccounts(p.source, p.requesterId);
  return {
    key: payoutKeys.paid(p.payoutId),
    kind: 'payout-paid',
    currency: p.currency,
    memo: `payout ${p.payoutId} sent in ${txHash}`.slice(0, 200),
    legs: [
      { account: a.reserved, amountMinor: p.amountMinor },
      { account: a.paidOut, amountMinor: -p.amountMinor },
    ],
  };
}
