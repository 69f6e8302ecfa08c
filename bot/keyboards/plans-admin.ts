/** Inline keyboards of the admin catalog flow: channel picking, confirmation, the plan card. */
import { InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import type { Channel, Plan } from '../../infrastructure/catalog/plans';
import type { BotContext } from '../context';
import {
  catalogActionData,
  catalogDetachData,
  catalogPlanData,
  newPlanCancelData,
  newPlanChannelData,
  newPlanCreateData,
  newPlanDoneData,
} from './callback-data';

type Translate = BotContext['t'];

/** Known channels to toggle (✅ when picked), then Done. */
export function pickChannelsKeyboard(
  t: Translate,
  known: Array<Pick<Channel, 'id' | 'title'>>,
  picked: ReadonlySet<number>,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const channel of known)
    keyboard
      .text(
        `${picked.has(channel.id) ? '✅ ' : ''}${channel.title}`,
        newPlanChannelData.pack({ channelId: String(channel.id) }),
      )
      .row();
  return keyboard
    .text(t('plan-admin-done-button'), newPlanDoneData.pack({}))
    .text(t('plan-admin-cancel-button'), newPlanCancelData.pack({}));
}

export function confirmPlanKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('plan-admin-create-button'), newPlanCreateData.pack({}))
    .text(t('plan-admin-cancel-button'), newPlanCancelData.pack({}));
}

/** Every plan, active or not, to open its card. */
export function catalogKeyboard(list: Plan[]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const plan of list)
    keyboard
      .text(
        `${plan.active ? '' : '⏸ '}${plan.title} · ${formatMoney(plan.priceMinor, plan.currency)}`,
        catalogPlanData.pack({ planId: plan.id }),
      )
      .row();
  return keyboard;
}

export const CARD_ACTIONS = ['title', 'duration', 'trial', 'price', 'stars', 'attach', 'off', 'on'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

export function planCardKeyboard(t: Translate, plan: Plan, planChannels: Channel[]): InlineKeyboard {
  const act = (action: CardAction) => catalogActionData.pack({ action, planId: plan.id });
  const keyboard = new InlineKeyboard()
    .text(t('plan-admin-edit-title-button'), act('title'))
    .text(t('plan-admin-edit-duration-button'), act('duration'))
    .row()
    .text(t('plan-admin-edit-trial-button'), act('trial'))
    .text(t('plan-admin-edit-price-button'), act('price'))
    .row()
    .text(t('plan-admin-edit-stars-button'), act('stars'))
    .row()
    .text(t('plan-admin-attach-button'), act('attach'))
    .row();
  if (planChannels.length > 1)
    for (const channel of planChannels)
      keyboard
        .text(
          t('plan-admin-detach-button', { channel: channel.title }),
          catalogDetachData.pack({ planId: plan.id, channelId: String(channel.id) }),
        )
        .row();
  return keyboard.text(
    plan.active ? t('plan-admin-deactivate-button') : t('plan-admin-activate-button'),
    act(plan.active ? 'off' : 'on'),
  );
}
