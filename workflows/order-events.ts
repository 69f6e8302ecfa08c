/**
 * What an order's child workflows tell it, and the ids they address it by. Its own module, so the
 * invoice workflow can signal its order without importing the order workflow (which starts it).
 */
import { defineSignal } from '@temporalio/workflow';
import type { InvoiceState } from '../domain/invoice';

export const orderWorkflowId = (orderId: string) => `order:${orderId}`;
export const deliveryWorkflowId = (orderId: string) => `delivery:${orderId}`;
export const escrowWorkflowId = (orderId: string) => `escrow:${orderId}`;

/** From the order's invoice: it settled (paid, overpaid) or closed unpaid (expired, cancelled, needs_review). */
export const invoiceClosedSignal = defineSignal<[{ invoiceId: string; state: InvoiceState }]>('invoiceClosed');
