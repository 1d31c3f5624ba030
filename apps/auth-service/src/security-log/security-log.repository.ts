import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository, SelectQueryBuilder } from 'typeorm';
import { SecurityLog } from './security-log.entity';

export interface LogFilters {
  eventTypes?: string[];
  userId?: string;
  identifier?: string;
  ip?: string;
  from?: Date;
  to?: Date;
}

/** Keyset position: the last row of a page, newest first on (created_at, id). */
export interface LogCursor {
  createdAt: Date;
  id: string;
}

export interface BucketCount {
  start: Date;
  eventType: string;
  count: number;
}

/** What the sealer reads of a row to link it. */
export interface UnsealedRow {
  id: string;
  mac: Buffer;
}

export interface ChainPoint {
  seq: string;
  chain: Buffer;
}

/** A link of the chain as verify reads it: its row, or null when the row is gone. */
export interface SealedRow extends ChainPoint {
  logId: string;
  row: SecurityLog | null;
}

/** A row as written (its link in the chain is the sealer's, in security_log_links). */
export type SecurityLogRow = Omit<SecurityLog, 'id'>;

/** The columns a new row is written with, in the order of `securityLogParams`. */
export const SECURITY_LOG_COLUMNS = 'event_type, user_id, identifier, ip, user_agent, session_id, request_id, details, created_at, mac';

/**
 * Appends a row's values to `params` and returns their typed placeholders, in the order of
 * SECURITY_LOG_COLUMNS: for `VALUES (…)` here, and for an `INSERT … SELECT` inside another statement
 * (the one-statement refresh), where the casts give the parameters their types.
 */
function securityLogValues(row: SecurityLogRow, params: unknown[]): string[] {
  const first = params.length + 1;
  params.push(...securityLogParams(row));
  return securityLogPlaceholders(first);
}

/** A row's values in the order of SECURITY_LOG_COLUMNS (for a statement whose text, placeholders included, is fixed: a prepared one). */
export function securityLogParams(row: SecurityLogRow): unknown[] {
  return [row.eventType, row.userId, row.identifier, row.ip, row.userAgent, row.sessionId, row.requestId, JSON.stringify(row.details), row.createdAt, row.mac];
}

/** The types of SECURITY_LOG_COLUMNS, in order. */
const SECURITY_LOG_TYPES = ['varchar', 'uuid', 'varchar', 'varchar', 'varchar', 'uuid', 'varchar', 'jsonb', 'timestamptz', 'bytea'];

/** The typed placeholders of one row whose values start at `$first` (a statement's text known before its values: a prepared one). */
export function securityLogPlaceholders(first: number): string[] {
  return SECURITY_LOG_TYPES.map((type, i) => `$${first + i}::${type}`);
}

/** `INSERT INTO security_logs … VALUES …` of these rows, their values appended to `params`: to run alone, or as a CTE of another statement (a login). */
export function securityLogInsert(rows: SecurityLogRow[], params: unknown[]): string {
  const tuples = rows.map((row) => `(${securityLogValues(row, params).join(', ')})`);
  return `INSERT INTO security_logs (${SECURITY_LOG_COLUMNS}) VALUES ${tuples.join(', ')}`;
}

@Injectable()
export class SecurityLogRepository {
  constructor(@InjectRepository(SecurityLog) private readonly logs: Repository<SecurityLog>) {}

  async insert(rows: SecurityLogRow[], manager?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    // Plain SQL: this runs inside every writing request's transaction (login, refresh), so it skips
    // the ORM's entity bookkeeping and RETURNING.
    const values: unknown[] = [];
    await (manager ?? this.logs.manager).query(securityLogInsert(rows, values), values);
  }

  /** The client addresses of the identifier's address-scoped `account_locked` events since `since` (security_logs_identifier_idx). */
  async lockedAddresses(identifier: string, since: Date): Promise<string[]> {
    const rows: { ip: string }[] = await this.logs.query(
      `SELECT DISTINCT ip FROM security_logs
        WHERE identifier = $1 AND created_at >= $2 AND event_type = 'account_locked' AND ip IS NOT NULL AND details->>'scope' = 'address'
        LIMIT 1000`,
      [identifier, since],
    );
    return rows.map((row) => row.ip);
  }

  /** One page, newest first; reads one row more than asked to know whether a next page exists. */
  page(filters: LogFilters, cursor: LogCursor | undefined, limit: number): Promise<SecurityLog[]> {
    const qb = this.filtered(filters);
    if (cursor) qb.andWhere('(l.created_at, l.id) < (:cursorAt, :cursorId)', { cursorAt: cursor.createdAt, cursorId: cursor.id });
    return qb.orderBy('l.created_at', 'DESC').addOrderBy('l.id', 'DESC').limit(limit).getMany();
  }

  /**
   * Events per time bucket and type in [from, to), an aggregated row counting its `details.count`
   * (the generated `weight` column): an index-only scan of security_logs_stats_idx when only the
   * time and types are filtered. Buckets are aligned on the Unix epoch (UTC), `step` is an interval.
   */
  async countsPerBucket(filters: LogFilters & { from: Date; to: Date }, step: string): Promise<BucketCount[]> {
    const qb = this.logs
      .createQueryBuilder('l')
      .select(`date_bin(CAST(:step AS interval), l.created_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`, 'start')
      .addSelect('l.event_type', 'event_type')
      .addSelect('sum(l.weight)', 'count')
      .setParameter('step', step);
    this.where(qb, filters);
    const rows: { start: Date | string; event_type: string; count: string | number }[] = await qb.groupBy('1').addGroupBy('2').orderBy('1').getRawMany();
    return rows.map((row) => ({ start: new Date(row.start), eventType: row.event_type, count: Number(row.count) }));
  }

  private filtered(filters: LogFilters): SelectQueryBuilder<SecurityLog> {
    return this.where(
      this.logs.createQueryBuilder('l').select(['l.id', 'l.eventType', 'l.userId', 'l.identifier', 'l.ip', 'l.userAgent', 'l.sessionId', 'l.requestId', 'l.details', 'l.createdAt']),
      filters,
    );
  }

  private where(qb: SelectQueryBuilder<SecurityLog>, filters: LogFilters): SelectQueryBuilder<SecurityLog> {
    if (filters.eventTypes?.length) qb.andWhere('l.event_type IN (:...types)', { types: filters.eventTypes });
    if (filters.userId) qb.andWhere('l.user_id = :userId', { userId: filters.userId });
    if (filters.identifier) qb.andWhere('l.identifier = :identifier', { identifier: filters.identifier });
    if (filters.ip) qb.andWhere('l.ip = :ip', { ip: filters.ip });
    if (filters.from) qb.andWhere('l.created_at >= :from', { from: filters.from });
    if (filters.to) qb.andWhere('l.created_at < :to', { to: filters.to });
    return qb;
  }

  async checkpoint(manager?: EntityManager): Promise<ChainPoint | null> {
    const rows: ChainPoint[] = await (manager ?? this.logs.manager).query(`SELECT last_seq AS seq, last_chain AS chain FROM security_log_checkpoints WHERE id = 1`);
    return rows[0] ? { seq: String(rows[0].seq), chain: rows[0].chain } : null;
  }

  /** The newest link: the chain's sealed head. */
  async head(manager?: EntityManager): Promise<ChainPoint | null> {
    const rows: ChainPoint[] = await (manager ?? this.logs.manager).query(`SELECT seq, chain FROM security_log_links ORDER BY seq DESC LIMIT 1`);
    return rows[0] ? { seq: String(rows[0].seq), chain: rows[0].chain } : null;
  }

  /** The id up to which every row is sealed (the sealer looks above it only); 0 before the first seal. */
  async sealedThrough(manager?: EntityManager): Promise<string> {
    const rows: { sealed_through: string }[] = await (manager ?? this.logs.manager).query(`SELECT sealed_through FROM security_log_sealer WHERE id = 1`);
    return rows[0] ? String(rows[0].sealed_through) : '0';
  }

  /** The highest id of the rows this connection sees now. */
  async highestId(): Promise<string> {
    const rows: { id: string }[] = await this.logs.query(`SELECT coalesce(max(id), 0) AS id FROM security_logs`);
    return String(rows[0]?.id ?? '0');
  }

  /**
   * The transactions of other connections that may be writing to security_logs now: those holding
   * its RowExclusiveLock, which a statement takes before it draws an id for a new row and keeps to
   * its transaction's end. Named by virtual transaction id.
   */
  async writers(): Promise<string[]> {
    const rows: { vxid: string }[] = await this.logs.query(
      `SELECT virtualtransaction AS vxid FROM pg_locks
        WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND relation = 'security_logs'::regclass AND mode = 'RowExclusiveLock' AND pid IS DISTINCT FROM pg_backend_pid()`,
    );
    return rows.map((row) => row.vxid);
  }

  /** Which of these transactions have not ended yet (each holds the lock on its own virtual transaction id until it ends). */
  async running(vxids: string[]): Promise<string[]> {
    if (vxids.length === 0) return [];
    const rows: { vxid: string }[] = await this.logs.query(`SELECT virtualxid AS vxid FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY($1::text[])`, [vxids]);
    return rows.map((row) => row.vxid);
  }

  /** For metrics: how many rows wait for the sealer, and how long the oldest has waited (the rows above `sealed_through` without a link). */
  async unsealedBacklog(): Promise<{ rows: number; oldestAgeSeconds: number }> {
    const rows: { rows: string; age: string | null }[] = await this.logs.query(
      `SELECT count(*) AS rows, extract(epoch FROM now() - min(l.created_at)) AS age FROM security_logs l
        WHERE l.id > coalesce((SELECT sealed_through FROM security_log_sealer WHERE id = 1), 0) AND ${UNSEALED}`,
    );
    return { rows: Number(rows[0]?.rows ?? 0), oldestAgeSeconds: Math.max(0, Number(rows[0]?.age ?? 0)) };
  }

  /**
   * The oldest rows in (after, through] without a link, as much of each as a link needs (its id and
   * MAC): the sealer runs every second under load, and whole entities (details parsed, every column
   * mapped) were work and garbage for nothing.
   */
  unsealed(after: string, through: string, limit: number, manager: EntityManager): Promise<UnsealedRow[]> {
    // node-postgres on both databases (PGlite through its driver): a bigint comes as a string, bytea as a Buffer.
    return manager.query(`SELECT l.id, l.mac FROM security_logs l WHERE l.id > $1 AND l.id <= $2 AND ${UNSEALED} ORDER BY l.id LIMIT $3`, [after, through, limit]);
  }

  /** Writes the links and moves `sealed_through`, in one statement. */
  async seal(links: { id: string; seq: string; chain: Buffer }[], sealedThrough: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `WITH linked AS (
         INSERT INTO security_log_links (seq, log_id, chain) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])
       )
       INSERT INTO security_log_sealer (id, sealed_through) VALUES (1, $4) ON CONFLICT (id) DO UPDATE SET sealed_through = EXCLUDED.sealed_through`,
      [links.map((l) => l.seq), links.map((l) => l.id), links.map((l) => l.chain), sealedThrough],
    );
  }

  /** The links after `seq`, in order, each with its row (null when the row is gone). */
  async sealedAfter(seq: string, limit: number): Promise<SealedRow[]> {
    const links: { seq: string; chain: Buffer; log_id: string }[] = await this.logs.query(`SELECT seq, chain, log_id FROM security_log_links WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit]);
    const rows = links.length ? await this.logs.findBy({ id: In(links.map((link) => String(link.log_id))) }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return links.map((link) => ({ seq: String(link.seq), chain: link.chain, logId: String(link.log_id), row: byId.get(String(link.log_id)) ?? null }));
  }

  /** Rows without a link, by id, after `id`. */
  unsealedAfter(id: string, limit: number): Promise<SecurityLog[]> {
    return this.logs.createQueryBuilder('l').where('l.id > :id', { id }).andWhere(UNSEALED).orderBy('l.id', 'ASC').limit(limit).getMany();
  }

  /** The highest sealed seq among rows older than `before`: what retention may purge up to. */
  async lastSealedBefore(before: Date): Promise<ChainPoint | null> {
    const rows: ChainPoint[] = await this.logs.query(
      // The rows older than `before` first (security_logs_created_idx: few, when retention runs hourly), then their links.
      `SELECT seq, chain FROM security_log_links
        WHERE seq = (SELECT max(k.seq) FROM security_logs l JOIN security_log_links k ON k.log_id = l.id WHERE l.created_at < $1)`,
      [before],
    );
    return rows[0] ? { seq: String(rows[0].seq), chain: rows[0].chain } : null;
  }

  /** Moves the checkpoint first, then deletes links and their rows, in one transaction per batch; returns how many links went. */
  async purgeThrough(point: ChainPoint, batchSize: number): Promise<number> {
    return this.logs.manager.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO security_log_checkpoints (id, last_seq, last_chain) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET last_seq = GREATEST(security_log_checkpoints.last_seq, EXCLUDED.last_seq),
           last_chain = CASE WHEN EXCLUDED.last_seq >= security_log_checkpoints.last_seq THEN EXCLUDED.last_chain ELSE security_log_checkpoints.last_chain END,
           updated_at = now()`,
        [point.seq, point.chain],
      );
      const rows: { n: number }[] = await manager.query(
        `WITH gone AS (
           DELETE FROM security_log_links WHERE seq IN (SELECT seq FROM security_log_links WHERE seq <= $1 ORDER BY seq LIMIT $2) RETURNING log_id
         ), purged AS (
           DELETE FROM security_logs WHERE id IN (SELECT log_id FROM gone)
         )
         SELECT count(*)::int AS n FROM gone`,
        [point.seq, batchSize],
      );
      return rows[0]?.n ?? 0;
    });
  }
}

/** A row has no link (security_log_links_log_id_key). */
const UNSEALED = 'NOT EXISTS (SELECT 1 FROM security_log_links k WHERE k.log_id = l.id)';
