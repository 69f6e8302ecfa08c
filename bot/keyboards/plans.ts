/** Inline keyboards for the catalog: the plans list, one plan's actions, renewals. */
import { InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import type { plans } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import type { Rail } from '../../domain/rail';
import { payCoinData, payData, payRailData, planData, plansListData, renewData, trialData } from './callback-data';

type Plan = typeof plans.$inferSelect;
type Translate = BotContext['t'];

/** "30 days", "1 hour": the largest unit that divides the length evenly. */
export function describeDuration(t: Translate, seconds: number): string {
  const units = [
    ['duration-days', 86_400],
    ['duration-hours', 3_600],
    ['duration-minutes', 60],
  ] as const;
  for (const [key, size] of units) {
    if (seconds >= size && seconds % size === 0) return t(key, { count: seconds / size });
  }
  return t('duration-seconds', { count: seconds });
}

export function plansKeyboard(list: Plan[]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const plan of list)
    keyboard
      .text(`${plan.title} · ${formatMoney(plan.priceMinor, plan.currency)}`, planData.pack({ planId: plan.id }))
      .row();
  return keyboard;
}

/** One Pay button per rail the plan can be paid on (the caller decides which are offered). */
export function planKeyboard(
  t: Translate,
  plan: Plan,
  options: {
    offerTrial: boolean;
    rails: readonly Rail[];
    /** What the user will be charged (after a promo code), when it differs from the list price. */
    charged?: { priceMinor: bigint; priceStars: number | null };
  },
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  const price = formatMoney(options.charged?.priceMinor ?? plan.priceMinor, plan.currency);
  const stars = options.charged ? options.charged.priceStars : plan.priceStars;
  for (const rail of options.rails) {
    if (rail === 'cryptocloud') keyboard.text(t('plan-pay-button', { price }), payData.pack({ planId: plan.id }));
    else if (rail === 'nowpayments')
      keyboard.text(t('plan-pay-address-button', { price }), payRailData.pack({ rail, planId: plan.id }));
    else if (stars !== null)
      keyboard.text(t('plan-pay-stars-button', { stars }), payRailData.pack({ rail, planId: plan.id }));
    keyboard.row();
  }
  if (options.offerTrial)
    keyboard
      .text(
        t('plan-trial-button', { duration: describeDuration(t, plan.trialSeconds) }),
        trialData.pack({ planId: plan.id }),
      )
      .row();
  return keyboard.text(t('plans-back-button'), plansListData.pack({})).row();
}

export function showPlansKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('plans-show-button'), plansListData.pack({}));
}

export function renewKeyboard(t: Translate, list: Array<Pick<Plan, 'id' | 'title'>>): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const plan of list)
    keyboard.text(t('myplan-renew-button', { plan: plan.title }), renewData.pack({ planId: plan.id })).row();
  return keyboard;
}

export function trialsKeyboard(t: Translate, list: Plan[]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const plan of list)
    keyboard
      .text(
        `${plan.title} · ${t('plan-trial-button', { duration: describeDuration(t, plan.trialSeconds) })}`,
        trialData.pack({ planId: plan.id }),
      )
      .row();
  return keyboard;
}

/** The coins NOWPayments takes, as configured. */
export function coinsKeyboard(t: Translate, planId: string, coins: ReadonlyArray<{ code: string; label: string }>) {
  const keyboard = new InlineKeyboard();
  coins.forEach((coin, index) => {
    keyboard.text(coin.label, payCoinData.pack({ coin: coin.code, planId }));
    if (index % 2 === 1) keyboard.row();
  });
  return keyboard.row().text(t('plans-back-button'), planData.pack({ planId }));
}
