/** Chats and members: getChatMember, ban/unban, chat_member updates, users leaving. */
import type { ChatMember, ChatMemberUpdated, Update, User } from 'grammy/types';
import { CallContext, ChatRecord, MemberState, MethodTable, SandboxState, fullAdminRights } from './state';
import { AdminRights, BAD_REQUEST, BotRightsChange, MemberStatus, TelegramSandboxError, UserInput } from './types';
import { enqueue } from './webhook';

export function isInside(status: MemberStatus): boolean {
  return status === 'member' || status === 'administrator' || status === 'creator' || status === 'restricted';
}

/** What ban and unban both check first: a group the bot manages, a known user who is no admin. */
export function removableMember(s: SandboxState, ctx: CallContext) {
  const chat = s.resolveChat(ctx.p.chatId());
  if (chat.type === 'private') throw BAD_REQUEST("can't remove members from private chats");
  s.assertCanManage(chat, 'not enough rights to restrict/unrestrict chat member', 'can_restrict_members');
  const userId = ctx.p.userId();
  const user = s.users.get(userId);
  if (!user) throw BAD_REQUEST('PARTICIPANT_ID_INVALID');
  const old = s.memberState(chat, userId);
  if (old.status === 'creator') throw BAD_REQUEST("can't remove chat owner");
  if (old.status === 'administrator') throw BAD_REQUEST('user is an administrator of the chat');
  return { chat, userId, user, old };
}

export function banChatMember(s: SandboxState, ctx: CallContext): true {
  const { chat, userId, user, old } = removableMember(s, ctx);
  // Telegram treats bans shorter than 30 s or longer than 366 days as permanent.
  let until = ctx.p.integer('until_date') ?? 0;
  const nowSec = s.unixNow();
  if (until !== 0 && (until < nowSec + 30 || until > nowSec + 366 * 86_400)) until = 0;
  const next: MemberState = { status: 'kicked', untilDate: until };
  chat.members.set(userId, next);
  chat.pending.delete(userId);
  if (old.status !== 'kicked' || old.untilDate !== until)
    chatMemberUpdate(s, chat, s.botAsUser(ctx.bot), user.user, old, next);
  return true;
}

export function unbanChatMember(s: SandboxState, ctx: CallContext): true {
  const { chat, userId, user, old } = removableMember(s, ctx);
  const onlyIfBanned = ctx.p.boolean('only_if_banned') ?? false;
  // Without only_if_banned Telegram guarantees the user is not a member afterwards: a member is removed.
  if (old.status === 'kicked' || (!onlyIfBanned && isInside(old.status))) {
    const next: MemberState = { status: 'left', untilDate: 0 };
    chat.members.set(userId, next);
    chatMemberUpdate(s, chat, s.botAsUser(ctx.bot), user.user, old, next);
  }
  return true;
}

export function getChatMember(s: SandboxState, ctx: CallContext): ChatMember {
  const chat = s.resolveChat(ctx.p.chatId());
  const userId = ctx.p.userId();
  if (userId === ctx.bot.id) return botMember(s, chat, s.botAsUser(ctx.bot));
  const user = s.users.get(userId);
  if (!user) throw BAD_REQUEST('user not found');
  if (chat.type === 'private') {
    if (chat.id !== userId) throw BAD_REQUEST('user not found');
    return wireMember(s, chat, user.user, { status: 'member', untilDate: 0 });
  }
  return wireMember(s, chat, user.user, s.memberState(chat, userId));
}

export function chatMemberUpdate(
  s: SandboxState,
  chat: ChatRecord,
  actor: User,
  user: User,
  old: MemberState,
  next: MemberState,
  extra: Partial<Pick<ChatMemberUpdated, 'invite_link' | 'via_join_request'>> = {},
): Update {
  const payload = {
    chat: s.wireChat(chat),
    from: actor,
    date: s.unixNow(),
    old_chat_member: wireMember(s, chat, user, old),
    new_chat_member: wireMember(s, chat, user, next),
    ...extra,
  } as ChatMemberUpdated;
  return enqueue(s, { chat_member: payload });
}

/** The user leaves a channel: a chat_member update. */
export function leaveChat(s: SandboxState, input: { from: UserInput; chatId: number }): Update {
  const record = s.ensureUser(input.from);
  const chat = s.requireChannel(input.chatId);
  const old = s.memberState(chat, record.user.id);
  if (!isInside(old.status))
    throw new TelegramSandboxError(`user ${record.user.id} is not a member of chat ${chat.id}`, 409);
  const next: MemberState = { status: 'left', untilDate: 0 };
  chat.members.set(record.user.id, next);
  return chatMemberUpdate(s, chat, record.user, record.user, old, next);
}

/** The bot's own membership as getChatMember and my_chat_member show it: its status and its real rights. */
export function botMember(s: SandboxState, chat: ChatRecord, bot: User): ChatMember {
  if (chat.type === 'private') return wireMember(s, chat, bot, { status: 'member', untilDate: 0 });
  return wireMember(s, chat, bot, { status: chat.botStatus, untilDate: 0 }, chat.botRights);
}

/**
 * The owner changes the bot's status or rights in a channel: a `my_chat_member` update, as Telegram
 * sends one on every such change. No update when nothing the bot can see changed.
 */
export function setBotRights(s: SandboxState, chatId: number, change: BotRightsChange): Update | undefined {
  const chat = s.requireChannel(chatId);
  if (change.status !== undefined && !['administrator', 'member', 'left', 'kicked'].includes(change.status))
    throw new TelegramSandboxError('status must be one of administrator, member, left, kicked');
  for (const [name, value] of Object.entries(change.rights ?? {})) {
    if (!(name in fullAdminRights(chat.type)) || typeof value !== 'boolean')
      throw new TelegramSandboxError(`unknown right ${name} (or not a boolean) for a ${chat.type}`);
  }
  const actor: User = change.by
    ? s.ensureUser(change.by).user
    : { id: CHANNEL_OWNER_ID, is_bot: false, first_name: 'Channel owner' };
  const bot = s.botAsUser(s.currentBot());
  const before = botMember(s, chat, bot);
  const status = change.status ?? chat.botStatus;
  // Promoting the bot again starts from the rights it is given now (or all of them).
  chat.botRights =
    status === 'administrator' && chat.botStatus !== 'administrator'
      ? { ...fullAdminRights(chat.type), ...change.rights }
      : { ...chat.botRights, ...change.rights };
  chat.botStatus = status;
  const after = botMember(s, chat, bot);
  if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
  const payload = {
    chat: s.wireChat(chat),
    from: actor,
    date: s.unixNow(),
    old_chat_member: before,
    new_chat_member: after,
  } as ChatMemberUpdated;
  return enqueue(s, { my_chat_member: payload });
}

/** Who changes the bot's rights when the test does not say (a user id no test user gets). */
export const CHANNEL_OWNER_ID = 777_000_001;

export function wireMember(
  s: SandboxState,
  chat: ChatRecord,
  user: User,
  state: MemberState,
  rights: AdminRights = fullAdminRights(chat.type),
): ChatMember {
  switch (state.status) {
    case 'creator':
      return { status: 'creator', user, is_anonymous: false };
    case 'administrator':
      return {
        status: 'administrator',
        user,
        can_be_edited: false,
        is_anonymous: false,
        ...rights,
        can_send_welcome_messages: false,
      };
    case 'kicked':
      return { status: 'kicked', user, until_date: state.untilDate };
    case 'member':
      return { status: 'member', user, ...(state.untilDate ? { until_date: state.untilDate } : {}) };
    case 'left':
      return { status: 'left', user };
    case 'restricted':
      return { status: 'restricted', user, until_date: state.untilDate } as ChatMember;
  }
}

/** Bot API methods of this area. */
export function chatMethods(s: SandboxState): MethodTable {
  return {
    banChatMember: (ctx) => banChatMember(s, ctx),
    unbanChatMember: (ctx) => unbanChatMember(s, ctx),
    getChatMember: (ctx) => getChatMember(s, ctx),
  };
}
