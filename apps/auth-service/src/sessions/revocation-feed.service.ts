import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Session } from './session.entity';

/**
 * Where a poller of the revocation feed stands: every revocation made by a transaction whose id is
 * below `from` has been handed out. `until` and `after` continue a page that was full.
 */
export interface FeedPosition {
  from: bigint;
  until?: bigint;
  after?: { xid: bigint; id: string };
}

export interface FeedPage {
  items: { sid: string; revoked_at: string }[];
  next: FeedPosition;
}

export const FEED_PAGE_SIZE = 500;
/** ACCESS_TOKEN_TTL + 60 s: an older revocation cannot concern a token that a verifier still accepts (SPEC §8). */
const EXTRA_WINDOW_MS = 60_000;

/**
 * The revocation feed (SPEC §8), ordered by the revoking transaction's id (`revoked_xid`), not by
 * `revoked_at`: a page holds the revocations of transactions with `from` ≤ xid < the current
 * snapshot's xmin. Every transaction below that xmin has ended, so none of them can still add a
 * row behind the cursor (no skip), and the next page starts at that xmin (no repeat), whatever
 * order the transactions committed in. The price: a revocation shows once every transaction that
 * started before it has ended, so one long write transaction anywhere in the cluster delays the feed.
 */
@Injectable()
export class RevocationFeedService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async page(position: FeedPosition | undefined, now = new Date()): Promise<FeedPage> {
    const since = new Date(now.getTime() - this.config.tokens.accessTtl * 1000 - EXTRA_WINDOW_MS);
    const from = position?.from ?? 0n;
    // One statement, so xmin and the rows come from the same snapshot; answered from sessions_revoked_xid_idx.
    const rows: { xmin: string; id: string | null; revoked_at: Date | null; xid: string | null }[] = await this.sessions.query(
      `WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
       SELECT snap.xmin::text AS xmin, s.id, s.revoked_at, s.revoked_xid::text AS xid
         FROM snap LEFT JOIN LATERAL (
           SELECT id, revoked_at, revoked_xid FROM sessions
            WHERE revoked_xid IS NOT NULL AND revoked_xid >= $1::xid8 AND revoked_xid < COALESCE($2::xid8, snap.xmin)
              AND ($3::xid8 IS NULL OR (revoked_xid, id) > ($3::xid8, $4::uuid))
              AND revoked_at > $5
            ORDER BY revoked_xid, id
            LIMIT $6) s ON true`,
      [from.toString(), position?.until?.toString() ?? null, position?.after?.xid.toString() ?? null, position?.after?.id ?? null, since, FEED_PAGE_SIZE],
    );
    const items = rows.filter((row) => row.id !== null);
    const until = position?.until ?? BigInt(rows[0].xmin);
    const last = items.at(-1);
    // A full page continues below the same bound; otherwise the next poll starts where this snapshot ended.
    const next: FeedPosition = items.length === FEED_PAGE_SIZE && last
      ? { from, until, after: { xid: BigInt(last.xid!), id: last.id! } }
      : { from: until > from ? until : from };
    return { items: items.map((row) => ({ sid: row.id!, revoked_at: row.revoked_at!.toISOString() })), next };
  }
}
