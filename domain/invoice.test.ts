import { describe, expect, it } from 'vitest';
import { applyReport, missingAmount, overpayment, type InvoiceProgress } from './invoice';

const pending: InvoiceProgress = { state: 'pending', received: '0' };

describe('invoice state machine', () => {
  it('moves only forward: duplicates and older reports change nothing', () => {
    const paid = applyReport(pending, { status: 'paid', received: '10', source: 'webhook' }, '10.00');
    expect(paid).toEqual({ state: 'paid', received: '10' });
    expect(applyReport(paid!, { status: 'paid', received: '10', source: 'webhook' }, '10.00')).toBeUndefined();
    expect(applyReport(paid!, { status: 'partial', received: '4', source: 'reconciliation' }, '10.00')).toBeUndefined();
  });

  it('tracks partial payments and top-ups by amount', () => {
    const partial = applyReport(pending, { status: 'partial', received: '4', source: 'webhook' }, '10.00')!;
    expect(partial.state).toBe('partial');
    expect(missingAmount(partial.received, '10.00')).toBe('6');
    expect(applyReport(partial, { status: 'partial', received: '4', source: 'webhook' }, '10.00')).toBeUndefined();
    expect(applyReport(partial, { status: 'partial', received: '7', source: 'webhook' }, '10.00')).toEqual({
      state: 'partial',
      received: '7',
    });
    expect(applyReport(partial, { status: 'paid', received: '10', source: 'webhook' }, '10.00')?.state).toBe('paid');
  });

  it('lets the amount decide over the label', () => {
    expect(applyReport(pending, { status: 'paid', received: '9.99', source: 'webhook' }, '10.00')?.state).toBe(
      'partial',
    );
    const over = applyReport(pending, { status: 'paid', received: '12.5', source: 'webhook' }, '10.00')!;
    expect(over.state).toBe('overpaid');
    expect(overpayment(over.received, '10.00')).toBe('2.5');
    expect(
      applyReport(pending, { status: 'created', received: '0', source: 'reconciliation' }, '10.00'),
    ).toBeUndefined();
    expect(applyReport(pending, { status: 'canceled', received: '0', source: 'reconciliation' }, '10.00')?.state).toBe(
      'cancelled',
    );
  });

  it('ignores reports on a closed invoice (the workflow handles late money itself)', () => {
    expect(
      applyReport({ state: 'expired', received: '0' }, { status: 'paid', received: '10', source: 'webhook' }, '10'),
    ).toBeUndefined();
  });
});

describe('invoice ids and closed invoices', () => {
  it('makes random ids the route pattern accepts, and still accepts the old sequence ids', async () => {
    const { newInvoiceId, INVOICE_ID_PATTERN } = await import('./invoice');
    const a = newInvoiceId(123, 'pro_month');
    const b = newInvoiceId(123, 'pro_month');
    expect(a).toMatch(/^123-pro_month-[a-z0-9]{12}$/);
    expect(a).not.toBe(b);
    expect(INVOICE_ID_PATTERN.test(a)).toBe(true);
    expect(INVOICE_ID_PATTERN.test('123-pro_month-4')).toBe(true);
    expect(INVOICE_ID_PATTERN.test('123-pro_month-ABC')).toBe(false);
    expect(INVOICE_ID_PATTERN.test('123-pro_month-a\u0000')).toBe(false);
  });

  it('a closed unpaid invoice takes only more money, as late_paid; a settled one never moves', async () => {
    const { applyAnyReport, expire } = await import('./invoice');
    const review = expire({ state: 'partial', received: '4' })!;
    expect(review).toEqual({ state: 'needs_review', received: '4' });
    expect(applyAnyReport(review, { status: 'partial', received: '4' }, '10')).toBeUndefined();
    expect(applyAnyReport(review, { status: 'paid', received: '10' }, '10')).toEqual({
      state: 'late_paid',
      received: '10',
    });
    expect(applyAnyReport({ state: 'paid', received: '10' }, { status: 'overpaid', received: '12' }, '10')).toBe(
      undefined,
    );
    expect(expire(pending)).toEqual({ state: 'expired', received: '0' });
  });
});
