/** Last in line: whatever no feature took gets a helpful answer instead of silence. */
import { Composer } from 'grammy';
import type { BotContext } from '../context';

export const unhandled = new Composer<BotContext>();
const chat = unhandled.chatType('private');

chat.on('message:text', async (ctx) => {
  const command = /^\/([\w@]+)/.exec(ctx.message.text)?.[1];
  const intro = command ? ctx.t('unknown-command', { command: `/${command.split('@')[0]}` }) : ctx.t('unknown-text');
  await ctx.reply(`${intro}\n\n${ctx.t('help')}`);
});
chat.on('message', (ctx) => ctx.reply(`${ctx.t('unknown-message')}\n\n${ctx.t('help')}`));
// A button from an old message, or data this bot never made.
unhandled.on('callback_query', (ctx) => ctx.answerCallbackQuery({ text: ctx.t('button-stale'), show_alert: true }));
