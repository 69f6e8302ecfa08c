/** /help: what the bot can do. Open to newcomers too, before the terms are accepted. */
import { Composer } from 'grammy';
import type { BotContext } from '../context';

export const help = new Composer<BotContext>();

help.chatType('private').command('help', (ctx) => ctx.reply(ctx.t('help')));
