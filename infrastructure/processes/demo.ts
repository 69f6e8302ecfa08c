/**
 * `npm run demo`: starts the stack on embedded defaults (fresh database, in-memory Temporal, the
 * sandbox, local object storage) and plays one subscriber's whole journey with short durations, the
 * other payment rails, a seller's journey (shop, upload Mini App, a buyer finding the product), the
 * buyer's purchase, and the seller's money (escrow hold, release, payout request, admin approval, paid),
 * printing each step with timestamps and where each workflow can be inspected in the Temporal UI.
 * Exits 0 when it completed.
 */
import { channels, planChannels, plans } from '../db/schema';
import { DEMO_CHANNEL, startDevStack } from './dev-stack';
import { playRailPurchases, playSubscriberJourney } from './journey';
import { playBuyerJourney } from './buyer-journey';
import { playSellerJourney } from './seller-journey';
import { playSellerMoneyJourney } from './seller-money-journey';

const DEMO_PLAN = {
  id: 'demo_week',
  title: 'Demo week (20 seconds)',
  priceMinor: 500n,
  currency: 'USD',
  // Payable in Stars too, as Telegram requires for digital goods in bots.
  priceStars: 250,
  durationSeconds: 20,
};

const started = Date.now();
const stack = await startDevStack({
  ephemeral: true,
  env: {
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SUBSCRIPTION_REMINDERS: '10s,5s',
    SUBSCRIPTION_GRACE_PERIOD: '6s',
    INVOICE_RECONCILE_SCHEDULE: '5s,10s',
    INVOICE_RECONCILE_EVERY: '10s',
    // The seller's money journey: a short escrow hold, and a payout minimum one sale covers.
    ESCROW_HOLD: '8s',
    SELLER_PAYOUT_MINIMUM_MINOR: '500',
  },
  log: (line) => console.log(`  ${line}`),
});
let exitCode = 1;
try {
  await stack.runtime.db.insert(channels).values(DEMO_CHANNEL).onConflictDoNothing();
  await stack.runtime.db.insert(plans).values(DEMO_PLAN).onConflictDoNothing();
  await stack.runtime.db
    .insert(planChannels)
    .values({ planId: DEMO_PLAN.id, channelId: DEMO_CHANNEL.id })
    .onConflictDoNothing();
  console.log(`\nA subscriber's journey (plan "${DEMO_PLAN.title}", channel "${DEMO_CHANNEL.title}"):\n`);
  await playSubscriberJourney({
    sandbox: stack.sandbox,
    planId: DEMO_PLAN.id,
    channelId: DEMO_CHANNEL.id,
    userId: 700_000_001,
    temporalUiUrl: stack.temporalUiUrl,
    namespace: stack.config.temporal.namespace,
    log: (line) => console.log(line),
  });
  console.log('\nThe same plan bought on the other rails (NOWPayments address + QR, Telegram Stars):\n');
  await playRailPurchases({
    sandbox: stack.sandbox,
    planId: DEMO_PLAN.id,
    userId: 700_000_002,
    log: (line) => console.log(line),
  });
  console.log('\nA seller opens a shop and lists an e-book from the upload Mini App; a buyer finds it:\n');
  const listed = await playSellerJourney({
    sandbox: stack.sandbox,
    sellerId: 700_000_010,
    buyerId: 700_000_011,
    title: 'Sketching guide for beginners',
    log: (line) => console.log(line),
  });
  console.log('\nThe buyer buys it with Stars, receives it, downloads it, and downloads it again from /library:\n');
  await playBuyerJourney({
    sandbox: stack.sandbox,
    buyerId: 700_000_011,
    card: listed.found,
    fileSha256: listed.fileSha256,
    log: (line) => console.log(line),
  });
  console.log(
    "\nThe seller's money: a second buyer pays in crypto, the hold ends, the seller withdraws, an admin pays:\n",
  );
  await playSellerMoneyJourney({
    sandbox: stack.sandbox,
    sellerId: 700_000_010,
    buyerId: 700_000_012,
    adminId: stack.config.telegram.adminIds[0] ?? 1000,
    title: 'Sketching guide for beginners',
    payoutAmount: '5',
    wallet: 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL',
    txHash: 'ab'.repeat(32),
    log: (line) => console.log(line),
  });
  console.log(
    `\nJourney completed in ${Math.round((Date.now() - started) / 1000)} s. Workflows stay inspectable in ${stack.temporalUiUrl} until this process exits.`,
  );
  exitCode = 0;
} catch (error) {
  console.error(`\nThe journey did not complete: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stack.stop();
}
process.exit(exitCode);
