import { describe, expect, it } from 'vitest';
import { assertBalanced } from './ledger';
import {
  paidPosting,
  parseNetwork,
  payoutActionAllowed,
  payoutMinimum,
  PayoutRequestError,
  releasePosting,
  reservePosting,
  validatePayoutRequest,
  validateTxHash,
  validateWallet,
} from './payout';

const TRON = 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL';
const EVM = '0x52908400098527886E0F7030069857D2E4169EE7';

function refusal(call: () => unknown) {
  try {
    call();
  } catch (error) {
    if (error instanceof PayoutRequestError) return error;
    throw error;
  }
  throw new Error('expected a PayoutRequestError');
}

describe('payout wallets', () => {
  it('accepts well-formed addresses per network', () => {
    expect(validateWallet('TRC20', ` ${TRON} `)).toBe(TRON);
    expect(validateWallet('BEP20', EVM)).toBe(EVM);
    expect(validateWallet('ERC20', EVM.toLowerCase())).toBe(EVM.toLowerCase());
  });

  it('refuses an address of the wrong shape for the network, saying what it should look like', () => {
    expect(validateWallet('TRC20', EVM)).toEqual({
      code: 'wallet',
      message: 'A TRC20 (TRON) address starts with T and has 34 characters (letters and digits, no 0, O, I or l)',
    });
    expect(validateWallet('BEP20', TRON)).toMatchObject({
      code: 'wallet',
      message: 'A BEP20 address is 0x followed by 40 hexadecimal digits',
    });
    // base58 has no 0, O, I or l
    expect(validateWallet('TRC20', `T${'0'.repeat(33)}`)).toMatchObject({ code: 'wallet' });
    expect(validateWallet('TRC20', TRON.slice(0, -1))).toMatchObject({ code: 'wallet' });
    expect(validateWallet('ERC20', `${EVM}0`)).toMatchObject({ code: 'wallet' });
  });

  it('knows the networks by their usual names', () => {
    expect(parseNetwork('trc20')).toBe('TRC20');
    expect(parseNetwork('BSC')).toBe('BEP20');
    expect(parseNetwork('SOL')).toMatchObject({
      code: 'network',
      message: 'Unknown network "SOL": choose one of TRC20, BEP20, ERC20',
    });
  });

  it('checks transaction hashes per network', () => {
    expect(validateTxHash('TRC20', 'a'.repeat(64))).toBe('a'.repeat(64));
    expect(validateTxHash('BEP20', `0x${'b'.repeat(64)}`)).toBe(`0x${'b'.repeat(64)}`);
    expect(validateTxHash('BEP20', 'b'.repeat(64))).toMatchObject({ code: 'tx_hash' });
  });
});

describe('payout requests', () => {
  it('passes a valid request through, normalised', () => {
    expect(
      validatePayoutRequest({ amountMinor: 1500n, currency: 'usd', network: 'bep20', wallet: EVM }, 1000n),
    ).toEqual({ amountMinor: 1500n, currency: 'USD', network: 'BEP20', wallet: EVM });
  });

  it('refuses less than the minimum, naming both amounts', () => {
    const error = refusal(() =>
      validatePayoutRequest({ amountMinor: 999n, currency: 'USD', network: 'TRC20', wallet: TRON }, 1000n),
    );
    expect(error.code).toBe('minimum');
    expect(error.message).toBe('The minimum payout is 10.00 USD (asked for 9.99 USD)');
  });

  it('refuses zero and negative amounts, unknown networks and bad wallets with their own codes', () => {
    expect(
      refusal(() => validatePayoutRequest({ amountMinor: 0n, currency: 'USD', network: 'TRC20', wallet: TRON }, 1n))
        .code,
    ).toBe('amount');
    expect(
      refusal(() => validatePayoutRequest({ amountMinor: 5000n, currency: 'USD', network: 'LN', wallet: TRON }, 1n))
        .code,
    ).toBe('network');
    expect(
      refusal(() =>
        validatePayoutRequest({ amountMinor: 5000n, currency: 'USD', network: 'TRC20', wallet: 'my wallet' }, 1n),
      ).code,
    ).toBe('wallet');
  });
});

describe('payees', () => {
  it('each kind has its minimum; a refund is paid whole, however small', () => {
    const minimums = { minimumMinor: 1000n, sellerMinimumMinor: 2500n };
    expect(payoutMinimum(minimums, 'referrer')).toBe(1000n);
    expect(payoutMinimum(minimums, 'seller')).toBe(2500n);
    expect(payoutMinimum(minimums, 'refund')).toBe(1n);
  });

  it('refuses to pay a Stars balance to a wallet', () => {
    const error = refusal(() =>
      validatePayoutRequest({ amountMinor: 500n, currency: 'xtr', network: 'TRC20', wallet: TRON }, 1n),
    );
    expect(error.code).toBe('stars');
  });
});

describe('payout postings', () => {
  const p = { payoutId: 'po1', source: 'referrer' as const, requesterId: 42, amountMinor: 1200n, currency: 'USD' };

  it('reserve, release and paid each balance and move money between the right accounts', () => {
    for (const posting of [reservePosting(p), releasePosting(p), paidPosting(p, 'a'.repeat(64))])
      expect(() => assertBalanced(posting)).not.toThrow();
    expect(reservePosting(p).legs).toEqual([
      { account: 'referrer:42:available', amountMinor: 1200n },
      { account: 'referrer:42:reserved', amountMinor: -1200n },
    ]);
    expect(releasePosting(p).legs).toEqual([
      { account: 'referrer:42:reserved', amountMinor: 1200n },
      { account: 'referrer:42:available', amountMinor: -1200n },
    ]);
    expect(paidPosting(p, 'x').legs).toEqual([
      { account: 'referrer:42:reserved', amountMinor: 1200n },
      { account: 'gateway:payouts', amountMinor: -1200n },
    ]);
    expect(new Set([reservePosting(p).key, releasePosting(p).key, paidPosting(p, 'x').key]).size).toBe(3);
  });

  it('allows admin actions only in their states', () => {
    expect(payoutActionAllowed('requested', 'approve')).toBe(true);
    expect(payoutActionAllowed('approved', 'approve')).toBe(false);
    expect(payoutActionAllowed('approved', 'markPaid')).toBe(true);
    expect(payoutActionAllowed('paid', 'reject')).toBe(false);
    expect(payoutActionAllowed('rejected', 'markPaid')).toBe(false);
  });
});
