/**
 * NOWPayments API v1 emulator (see sandbox.ts): the merchant API, the control API and signed IPNs.
 * Split by concern: types, amounts (decimals, coins, rates, addresses), wire (bodies as sent), ipns
 * (delivery and its switches), faults (API failures), routes (HTTP), sandbox (state and payments).
 */
export { NowPaymentsSandbox, type PaymentOutcome } from './sandbox';
export * from './types';
