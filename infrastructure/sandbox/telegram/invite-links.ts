/** Invite links and join requests, from the bot's side and from the user's. */
import type { ChatInviteLink, ChatJoinRequest, Update } from 'grammy/types';
import { chatMemberUpdate, isInside } from './chats';
import { CallContext, InviteLinkRecord, MemberState, MethodTable, SandboxState, randomToken } from './state';
import { BAD_REQUEST, InviteLinkInfo, JoinRequestInfo, TelegramSandboxError, UserInput } from './types';
import { enqueue } from './webhook';

export function createChatInviteLink(s: SandboxState, ctx: CallContext): ChatInviteLink {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanManage(chat, 'not enough rights to manage chat invite link', 'can_invite_users');
  const name = ctx.p.string('name');
  if (name !== undefined && [...name].length > 32) throw BAD_REQUEST('invite link name is too long');
  const expireDate = ctx.p.integer('expire_date');
  if (expireDate !== undefined && expireDate !== 0 && expireDate <= s.unixNow())
    throw BAD_REQUEST('EXPIRE_DATE_INVALID');
  const memberLimit = ctx.p.integer('member_limit');
  const createsJoinRequest = ctx.p.boolean('creates_join_request') ?? false;
  if (memberLimit !== undefined && (memberLimit < 1 || memberLimit > 99_999)) throw BAD_REQUEST('USAGE_LIMIT_INVALID');
  if (memberLimit !== undefined && createsJoinRequest) {
    throw BAD_REQUEST("member_limit can't be specified for invite links that create join requests");
  }
  const link: InviteLinkRecord = {
    link: `https://t.me/+${randomToken(16)}`,
    chatId: chat.id,
    creator: s.botAsUser(ctx.bot),
    name,
    expireDate: expireDate || undefined,
    memberLimit,
    createsJoinRequest,
    revoked: false,
    joined: new Set(),
  };
  s.links.set(link.link, link);
  return wireLink(s, link);
}

export function revokeChatInviteLink(s: SandboxState, ctx: CallContext): ChatInviteLink {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanManage(chat, 'not enough rights to manage chat invite link', 'can_invite_users');
  const url = ctx.p.string('invite_link');
  const link = url ? s.links.get(url) : undefined;
  if (!link || link.chatId !== chat.id) throw BAD_REQUEST('INVITE_HASH_EXPIRED');
  link.revoked = true;
  return wireLink(s, link);
}

export function answerJoinRequest(s: SandboxState, ctx: CallContext, approve: boolean): true {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanManage(chat, 'CHAT_ADMIN_REQUIRED', 'can_invite_users');
  const userId = ctx.p.userId();
  const state = s.memberState(chat, userId);
  if (approve && isInside(state.status)) throw BAD_REQUEST('USER_ALREADY_PARTICIPANT');
  const request = chat.pending.get(userId);
  if (!request) throw BAD_REQUEST('HIDE_REQUESTER_MISSING');
  chat.pending.delete(userId);
  if (approve) {
    const link = request.link ? s.links.get(request.link) : undefined;
    link?.joined.add(userId);
    const next: MemberState = { status: 'member', untilDate: 0 };
    chat.members.set(userId, next);
    chatMemberUpdate(s, chat, s.botAsUser(ctx.bot), s.requireUser(userId).user, state, next, {
      ...(link ? { invite_link: wireLink(s, link) } : {}),
      via_join_request: true,
    });
  }
  return true;
}

export function usableLink(s: SandboxState, url: string, chatId: number): InviteLinkRecord {
  if (typeof url !== 'string') throw new TelegramSandboxError('inviteLink must be the invite_link URL');
  const link = s.links.get(url);
  if (!link || link.chatId !== chatId)
    throw new TelegramSandboxError(`unknown invite link ${url} for chat ${chatId}`, 404);
  if (link.revoked) throw new TelegramSandboxError('invite link was revoked', 409);
  if (link.expireDate !== undefined && link.expireDate <= s.unixNow())
    throw new TelegramSandboxError('invite link expired', 409);
  return link;
}

export function linkMembers(s: SandboxState, link: InviteLinkRecord): number[] {
  const chat = s.chats.get(link.chatId);
  if (!chat) return [];
  return [...link.joined].filter((userId) => isInside(s.memberState(chat, userId).status));
}

export function linkPending(s: SandboxState, link: InviteLinkRecord): number[] {
  const chat = s.chats.get(link.chatId);
  if (!chat) return [];
  return [...chat.pending.values()].filter((r) => r.link === link.link).map((r) => r.userId);
}

export function wireLink(s: SandboxState, link: InviteLinkRecord): ChatInviteLink {
  return {
    invite_link: link.link,
    creator: link.creator,
    creates_join_request: link.createsJoinRequest,
    is_primary: false,
    is_revoked: link.revoked,
    ...(link.name !== undefined ? { name: link.name } : {}),
    ...(link.expireDate !== undefined ? { expire_date: link.expireDate } : {}),
    ...(link.memberLimit !== undefined ? { member_limit: link.memberLimit } : {}),
    ...(link.createsJoinRequest ? { pending_join_request_count: linkPending(s, link).length } : {}),
  };
}

/** The user opens a join-request link: a chat_join_request update (only for creates_join_request links). */
export function requestJoin(
  s: SandboxState,
  input: { from: UserInput; chatId: number; inviteLink: string; bio?: string },
): Update {
  const record = s.ensureUser(input.from);
  const chat = s.requireChannel(input.chatId);
  const link = usableLink(s, input.inviteLink, chat.id);
  if (!link.createsJoinRequest) {
    throw new TelegramSandboxError('this invite link admits directly (no creates_join_request); use joinByLink');
  }
  const userId = record.user.id;
  const state = s.memberState(chat, userId);
  if (state.status === 'kicked') throw new TelegramSandboxError(`user ${userId} is banned from chat ${chat.id}`, 409);
  if (isInside(state.status))
    throw new TelegramSandboxError(`user ${userId} is already a member of chat ${chat.id}`, 409);
  if (chat.pending.has(userId))
    throw new TelegramSandboxError(`user ${userId} already has a pending join request in chat ${chat.id}`, 409);
  const date = s.unixNow();
  chat.pending.set(userId, { userId, date, link: link.link, bio: input.bio });
  record.joinRequestWindowUntil = s.now() + 5 * 60_000;
  const request = {
    chat: s.wireChat(chat),
    from: record.user,
    user_chat_id: userId,
    date,
    ...(input.bio ? { bio: input.bio } : {}),
    invite_link: wireLink(s, link),
  } as ChatJoinRequest;
  return enqueue(s, { chat_join_request: request });
}

/** The user joins through a link that admits directly; enforces revoked, expire_date and member_limit. */
export function joinByLink(s: SandboxState, input: { from: UserInput; chatId?: number; inviteLink: string }): Update {
  const record = s.ensureUser(input.from);
  const known = s.links.get(input.inviteLink);
  const chat = s.requireChannel(input.chatId ?? known?.chatId ?? 0);
  const link = usableLink(s, input.inviteLink, chat.id);
  if (link.createsJoinRequest)
    throw new TelegramSandboxError('this invite link needs approval (creates_join_request); use requestJoin');
  const userId = record.user.id;
  const old = s.memberState(chat, userId);
  if (old.status === 'kicked') throw new TelegramSandboxError(`user ${userId} is banned from chat ${chat.id}`, 409);
  if (isInside(old.status))
    throw new TelegramSandboxError(`user ${userId} is already a member of chat ${chat.id}`, 409);
  if (link.memberLimit !== undefined && linkMembers(s, link).length >= link.memberLimit) {
    throw new TelegramSandboxError(`invite link reached its member_limit of ${link.memberLimit}`, 409);
  }
  link.joined.add(userId);
  const next: MemberState = { status: 'member', untilDate: 0 };
  chat.members.set(userId, next);
  return chatMemberUpdate(s, chat, record.user, record.user, old, next, { invite_link: wireLink(s, link) });
}

export function inviteLinks(s: SandboxState, chatId?: number): InviteLinkInfo[] {
  return [...s.links.values()]
    .filter((link) => chatId === undefined || link.chatId === chatId)
    .map((link) => ({
      ...wireLink(s, link),
      chat_id: link.chatId,
      members: linkMembers(s, link),
      pending: linkPending(s, link),
    }));
}

export function joinRequests(s: SandboxState, chatId?: number): JoinRequestInfo[] {
  const result: JoinRequestInfo[] = [];
  for (const chat of s.chats.values()) {
    if (chatId !== undefined && chat.id !== chatId) continue;
    for (const request of chat.pending.values()) {
      result.push({
        chat_id: chat.id,
        user: s.requireUser(request.userId).user,
        date: request.date,
        invite_link: request.link,
        bio: request.bio,
      });
    }
  }
  return result;
}

/** Bot API methods of this area. */
export function inviteLinkMethods(s: SandboxState): MethodTable {
  return {
    createChatInviteLink: (ctx) => createChatInviteLink(s, ctx),
    revokeChatInviteLink: (ctx) => revokeChatInviteLink(s, ctx),
    approveChatJoinRequest: (ctx) => answerJoinRequest(s, ctx, true),
    declineChatJoinRequest: (ctx) => answerJoinRequest(s, ctx, false),
  };
}
