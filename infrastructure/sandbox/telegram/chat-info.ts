/** getChat: a chat's full info by id or @username (what a bot sees before it adds a channel to its catalog). */
import type { ChatFullInfo } from 'grammy/types';
import type { CallContext, MethodTable, SandboxState } from './state';
import { BAD_REQUEST } from './types';

export function getChat(s: SandboxState, ctx: CallContext): ChatFullInfo {
  const chat = s.resolveChat(ctx.p.chatId());
  // Telegram answers for public chats and for chats the bot is in; a private channel without the bot is unknown.
  if (chat.type !== 'private' && chat.botStatus === 'left' && !chat.username) throw BAD_REQUEST('chat not found');
  return {
    ...s.wireChat(chat),
    accent_color_id: 0,
    max_reaction_count: 11,
    accepted_gift_types: {
      unlimited_gifts: false,
      limited_gifts: false,
      unique_gifts: false,
      premium_subscription: false,
    },
  } as ChatFullInfo;
}

export function chatInfoMethods(s: SandboxState): MethodTable {
  return { getChat: (ctx) => getChat(s, ctx) };
}
