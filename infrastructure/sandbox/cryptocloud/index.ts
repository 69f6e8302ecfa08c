/**
 * CryptoCloud API v2 emulator (see sandbox.ts): the merchant API, the hosted pay page, the control
 * API and signed postbacks. Split by concern: types, amounts (decimals, currencies, rates), requests
 * (body validation), postbacks (tokens), pay-page, sandbox (state, merchant and control routes).
 */
export { CryptoCloudSandbox } from './sandbox';
export { signCryptoCloudPostback } from './postbacks';
export type { MerchantFault, MerchantFaultSettings } from './amounts';
export * from './types';
