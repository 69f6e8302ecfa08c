/**
 * One-time download tokens: issued to the owner of an order, claimed once, resumable within their life.
 *
 * Decisions:
 * - The token is 32 random bytes (base64url, 43 characters); only its SHA-256 is stored.
 * - Ownership is checked at issue and again at claim (an order refunded in between downloads nothing).
 * - The first request claims the token with one conditional UPDATE (`claimed_at is null and
 *   expires_at > now()`), so of two racing requests exactly one wins. After that, while the token
 *   lives, only Range requests are served: they are the same download resuming (a browser or a
 *   download manager picking up where it stopped) and count as no new download. A plain second GET,
 *   or anything after expiry, is 410 Gone.
 * - The rate is a sliding hour of claims, counted in PostgreSQL under a per-buyer advisory lock, so
 *   several api processes agree and two racing claims cannot both slip under the limit. A refused
 *   claim leaves the token unclaimed: it works again once the window has room, while it lives.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { OWNED_ORDER_STATUSES } from '../../domain/order';
import type { Database } from '../db/client';
import { downloadTokens, orders, productFiles } from '../db/schema';

const HOUR_MS = 3_600_000;
/** 32 bytes in base64url, unpadded. */
export const DOWNLOAD_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type DownloadRefusal = 'not_owner' | 'unknown' | 'gone' | 'rate_limited' | 'no_file';

/** Why a token was not issued or not claimed; `status` is the HTTP answer. */
export class DownloadError extends Error {
  constructor(
    readonly reason: DownloadRefusal,
    message: string,
    /** For `rate_limited`: seconds until the oldest download in the window leaves it. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DownloadError';
  }

  get status(): number {
    return { not_owner: 403, unknown: 404, gone: 410, rate_limited: 429, no_file: 404 }[this.reason];
  }
}

export const hashDownloadToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The file a download serves, as stored. */
export interface DownloadFile {
  orderId: string;
  buyerId: number;
  objectKey: string;
  originalName: string;
  sizeBytes: number;
  contentType: string;
  expiresAt: Date;
}

/**
 * A fresh token for the buyer's own, owned order (paid or delivered); DownloadError `not_owner`
 * otherwise (someone else's order, an unpaid or refunded one, or no such order).
 */
export async function issueDownloadToken(
  db: Database,
  input: { buyerId: number; orderId: string; ttlMs: number },
): Promise<{ token: string; expiresAt: Date }> {
  const [order] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(
      and(
        eq(orders.id, input.orderId),
        eq(orders.buyerId, input.buyerId),
        inArray(orders.status, [...OWNED_ORDER_STATUSES]),
      ),
    );
  if (!order) throw new DownloadError('not_owner', 'this order is not yours to download');
  const token = randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(downloadTokens)
    .values({
      tokenHash: hashDownloadToken(token),
      orderId: order.id,
      buyerId: input.buyerId,
      expiresAt: sql`now() + ${`${input.ttlMs} milliseconds`}::interval`,
    })
    .returning({ expiresAt: downloadTokens.expiresAt });
  return { token, expiresAt: row!.expiresAt };
}

/** The token's order and file, refusing what may not be downloaded; claims nothing. */
async function lookUp(db: Pick<Database, 'select'>, token: string) {
  if (!DOWNLOAD_TOKEN.test(token)) throw new DownloadError('unknown', 'no such download link');
  const [found] = await db
    .select({
      orderId: downloadTokens.orderId,
      buyerId: downloadTokens.buyerId,
      expiresAt: downloadTokens.expiresAt,
      claimedAt: downloadTokens.claimedAt,
      alive: sql<boolean>`${downloadTokens.expiresAt} > now()`,
      productId: orders.productId,
      owned: sql<boolean>`${inArray(orders.status, [...OWNED_ORDER_STATUSES])} and ${orders.buyerId} = ${downloadTokens.buyerId}`,
    })
    .from(downloadTokens)
    .innerJoin(orders, eq(orders.id, downloadTokens.orderId))
    .where(eq(downloadTokens.tokenHash, hashDownloadToken(token)));
  if (!found) throw new DownloadError('unknown', 'no such download link');
  if (!found.alive) throw new DownloadError('gone', 'this download link has expired: open a new one from /library');
  if (!found.owned) throw new DownloadError('not_owner', 'this order is no longer yours to download');
  const [file] = await db
    .select()
    .from(productFiles)
    .where(
      and(eq(productFiles.productId, found.productId), eq(productFiles.role, 'file'), eq(productFiles.state, 'stored')),
    )
    .orderBy(desc(productFiles.createdAt))
    .limit(1);
  if (!file) throw new DownloadError('no_file', 'this product has no file to download');
  return {
    found,
    file: {
      orderId: found.orderId,
      buyerId: found.buyerId,
      objectKey: file.objectKey,
      originalName: file.originalName,
      sizeBytes: file.sizeBytes,
      contentType: file.contentType,
      expiresAt: found.expiresAt,
    } satisfies DownloadFile,
  };
}

/** What a HEAD may tell: the file of a live token, claimed or not, without claiming it. */
export async function peekDownload(db: Database, token: string): Promise<DownloadFile> {
  return (await lookUp(db, token)).file;
}

/**
 * Claims the token for this request, or, for a Range request (`resuming`) on a token already
 * claimed and still alive, lets the download resume. Throws DownloadError: unknown (404), gone
 * (410: expired, or claimed and this is not a resume), not_owner (403), rate_limited (429), no_file.
 */
export async function claimDownload(
  db: Database,
  token: string,
  options: { resuming: boolean; perHour: number },
): Promise<DownloadFile & { resumed: boolean; first?: boolean }> {
  const { found, file } = await lookUp(db, token);
  if (found.claimedAt) {
    if (options.resuming) return { ...file, resumed: true };
    throw new DownloadError('gone', 'this download link was already used: open a new one from /library');
  }
  return db.transaction(async (tx) => {
    // One claim at a time per buyer, across processes, so the count below stays true until commit.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`download:${file.buyerId}`}, 0))`);
    await ensureRoom(tx, file.buyerId, options.perHour);
    const claimed = await tx
      .update(downloadTokens)
      .set({ claimedAt: sql`now()` })
      .where(
        and(
          eq(downloadTokens.tokenHash, hashDownloadToken(token)),
          isNull(downloadTokens.claimedAt),
          gt(downloadTokens.expiresAt, sql`now()`),
        ),
      )
      .returning({ orderId: downloadTokens.orderId });
    // Lost the race to another request, or expired in between.
    if (claimed.length === 0) {
      const [alive] = await tx
        .select({ tokenHash: downloadTokens.tokenHash })
        .from(downloadTokens)
        .where(and(eq(downloadTokens.tokenHash, hashDownloadToken(token)), gt(downloadTokens.expiresAt, sql`now()`)));
      if (options.resuming && alive) return { ...file, resumed: true };
      throw new DownloadError('gone', 'this download link was already used: open a new one from /library');
    }
    const [counted] = await tx
      .update(orders)
      .set({
        downloadCount: sql`${orders.downloadCount} + 1`,
        firstDownloadAt: sql`coalesce(${orders.firstDownloadAt}, now())`,
        lastDownloadAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(orders.id, file.orderId))
      .returning({ downloads: orders.downloadCount });
    return { ...file, resumed: false, first: counted?.downloads === 1 };
  });
}

/**
 * Refuses (DownloadError rate_limited, with Retry-After) when the buyer started `perHour` downloads
 * in the last hour. The claim checks this under the buyer's lock; links are refused early with it
 * too, so the bot and the page can say so instead of handing out a link that would be refused.
 */
export async function ensureRoom(db: Pick<Database, 'select'>, buyerId: number, perHour: number): Promise<void> {
  const inWindow = await db
    .select({ claimedAt: downloadTokens.claimedAt, now: sql<Date>`now()`.mapWith(downloadTokens.claimedAt) })
    .from(downloadTokens)
    .where(
      and(
        eq(downloadTokens.buyerId, buyerId),
        gt(downloadTokens.claimedAt, sql`now() - ${`${HOUR_MS} milliseconds`}::interval`),
      ),
    )
    .orderBy(asc(downloadTokens.claimedAt));
  if (inWindow.length < perHour) return;
  // Room comes when enough of the oldest leave the window for this one to fit.
  const leaving = inWindow[inWindow.length - perHour]!;
  const waitMs = leaving.claimedAt!.getTime() + HOUR_MS - leaving.now.getTime();
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  throw new DownloadError(
    'rate_limited',
    `too many downloads: at most ${perHour} an hour; try again in ${Math.ceil(retryAfterSeconds / 60)} min`,
    retryAfterSeconds,
  );
}
