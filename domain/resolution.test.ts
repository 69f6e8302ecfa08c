import { describe, expect, it } from 'vitest';
import { accounts } from './ledger';
import { actionsFor, inputRefusal, parseAction, settlePosting, stateRefusal } from './resolution';

describe('resolution rules', () => {
  it('offers accept only for a partial payment', () => {
    expect(actionsFor(['partial'])).toEqual(['accept', 'credit', 'refund', 'writeoff']);
    expect(actionsFor(['partial', 'late'])).toContain('accept');
    expect(actionsFor(['late'])).toEqual(['credit', 'refund', 'writeoff']);
    expect(actionsFor(['overpaid'])).toEqual(['credit', 'refund', 'writeoff']);
    expect(stateRefusal('open', ['late'], { type: 'accept' })).toMatchObject({ settled: false });
    expect(stateRefusal('open', ['partial'], { type: 'accept' })).toBeUndefined();
  });

  it('checks the input: days above 0, a reason, a transaction hash', () => {
    expect(inputRefusal({ type: 'credit', mode: 'extend', days: 0 })).toMatch(/above 0/);
    expect(inputRefusal({ type: 'credit', mode: 'extend', days: 1.5 })).toMatch(/whole number/);
    expect(inputRefusal({ type: 'credit', mode: 'extend', days: 3 })).toBeUndefined();
    expect(inputRefusal({ type: 'writeoff', reason: '   ' })).toMatch(/reason/);
    expect(inputRefusal({ type: 'refundPaid', txHash: 'abc' })).toMatch(/64 hexadecimal/);
    expect(inputRefusal({ type: 'refundPaid', txHash: `0x${'a'.repeat(64)}` })).toBeUndefined();
    expect(inputRefusal({ type: 'refundPaid', txHash: 'b'.repeat(64) })).toBeUndefined();
  });

  it('a decided case takes no other decision; a refund waits for its payout', () => {
    expect(stateRefusal('resolved', ['late'], { type: 'refund' })).toMatchObject({ settled: true });
    expect(stateRefusal('refund_pending', ['late'], { type: 'writeoff', reason: 'x' })).toMatchObject({
      settled: true,
    });
    expect(stateRefusal('refund_pending', ['late'], { type: 'refundPaid', txHash: 'h' })).toBeUndefined();
    expect(stateRefusal('open', ['late'], { type: 'refundPaid', txHash: 'h' })).toMatchObject({ settled: false });
    expect(stateRefusal('resolved', ['late'], { type: 'refundPaid', txHash: 'h' })).toMatchObject({ settled: true });
  });

  it('parses the command form', () => {
    expect(parseAction(['accept'])).toEqual({ type: 'accept' });
    expect(parseAction(['credit', '7'])).toEqual({ type: 'credit', mode: 'extend', days: 7 });
    expect(parseAction(['credit', 'balance'])).toEqual({ type: 'credit', mode: 'balance' });
    expect(parseAction(['balance'])).toEqual({ type: 'credit', mode: 'balance' });
    expect(parseAction(['writeoff', 'dust', 'left'])).toEqual({ type: 'writeoff', reason: 'dust left' });
    expect(parseAction(['credit', '0'])).toMatch(/days/);
    expect(parseAction(['writeoff'])).toMatch(/reason/);
    expect(parseAction(['nope'])).toMatch(/one of/);
  });

  it('moves everything held into the target in one balanced posting', () => {
    const posting = settlePosting({
      key: 'k',
      currency: 'USD',
      kind: 'resolution-accept',
      memo: 'm',
      target: accounts.revenue('subscriptions'),
      held: [
        { account: accounts.userUnapplied(1), amountMinor: 400n },
        { account: accounts.latePayments(), amountMinor: 600n },
      ],
    });
    expect(posting?.legs).toEqual([
      { account: accounts.userUnapplied(1), amountMinor: 400n },
      { account: accounts.latePayments(), amountMinor: 600n },
      { account: accounts.revenue('subscriptions'), amountMinor: -1000n },
    ]);
    expect(settlePosting({ key: 'k', currency: 'USD', kind: 'x', memo: '', target: 't', held: [] })).toBeUndefined();
  });
});
