// Every workflow the worker runs. The function name is the workflow type: never rename one with runs in flight.
export { invoiceWorkflow } from './invoice';
export { subscriptionWorkflow } from './subscription';
export { commissionWorkflow } from './commission';
export { payoutWorkflow } from './payout';
export { invoiceRefundWorkflow } from './refund';
export { redeliveryWorkflow } from './redelivery';
export { resolutionWorkflow } from './resolution';
export { orderWorkflow } from './order';
export { deliveryWorkflow } from './delivery';
export { escrowWorkflow } from './escrow';
export { clawbackWorkflow } from './clawback';
