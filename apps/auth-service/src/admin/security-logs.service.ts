import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Actor } from '../common/request-context';
import { ChainSealer, VerifyResult } from '../security-log/chain-sealer.service';
import { SecurityLog } from '../security-log/security-log.entity';
import { LogFilters, SecurityLogRepository } from '../security-log/security-log.repository';
import type { EventType, SecurityLogItem } from '../security-log/event-types';
import { SecurityLogService } from '../security-log/security-log.service';
import { SecurityLogExportDto, SecurityLogQueryDto, SecurityLogStatsQueryDto } from './dto/security-log-query.dto';
import { StatsBucket, statsWindow } from './stats-window';

export type { SecurityLogItem };

/** `GET /api/admin/security-logs/stats`: every bucket of the range, empty ones included, oldest first. */
export interface SecurityLogStats {
  bucket: StatsBucket;
  from: string;
  to: string;
  items: { start: string; counts: Partial<Record<EventType, number>> }[];
}

const ID = /^\d{1,19}$/;
const EXPORT_BATCH = 1000;
const CSV_COLUMNS: (keyof SecurityLogItem)[] = ['id', 'created_at', 'event_type', 'user_id', 'identifier', 'ip', 'user_agent', 'session_id', 'request_id', 'details'];

/** Review of the security log (SPEC §2 administration): every read is itself an `admin_action`. */
@Injectable()
export class SecurityLogsService {
  constructor(
    private readonly logs: SecurityLogRepository,
    private readonly securityLog: SecurityLogService,
    private readonly sealer: ChainSealer,
  ) {}

  async list(query: SecurityLogQueryDto, actor: Actor): Promise<{ items: SecurityLogItem[]; next_cursor: string | null }> {
    const limit = query.limit ?? 50;
    const rows = await this.logs.page(filtersOf(query), decodeCursor(query.cursor, ID), limit + 1);
    const page = rows.slice(0, limit);
    this.securityLog.enqueue({ type: 'admin_action', details: { action: 'security_logs.read', actor_id: actor.id } }, actor.context);
    const last = page[page.length - 1];
    return { items: page.map(toItem), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /** Streams every matching row, page by page on the same keyset index (no OFFSET, no long transaction). */
  export(query: SecurityLogExportDto, actor: Actor): Readable {
    const format = query.format ?? 'ndjson';
    const filters = filtersOf(query);
    const logs = this.logs;
    this.securityLog.enqueue({ type: 'admin_action', details: { action: 'security_logs.export', format, actor_id: actor.id } }, actor.context);
    return Readable.from(
      (async function* () {
        if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
        let position = decodeCursor(query.cursor, ID);
        for (;;) {
          const rows = await logs.page(filters, position, EXPORT_BATCH);
          for (const row of rows) yield format === 'csv' ? csvLine(toItem(row)) : `${JSON.stringify(toItem(row))}\n`;
          const last = rows[rows.length - 1];
          if (rows.length < EXPORT_BATCH || !last) return;
          position = { createdAt: last.createdAt, id: last.id };
        }
      })(),
    );
  }

  /** Counts per bucket and event type, an aggregated row counting its count (SPEC §2, §5). */
  async stats(query: SecurityLogStatsQueryDto, actor: Actor): Promise<SecurityLogStats> {
    const window = statsWindow(query.bucket, query.from, query.to);
    const counts = await this.logs.countsPerBucket({ ...filtersOf(query), from: window.from, to: window.to }, window.step);
    this.securityLog.enqueue({ type: 'admin_action', details: { action: 'security_logs.stats', bucket: window.bucket, actor_id: actor.id } }, actor.context);
    const items = window.starts.map((start) => ({ start: start.toISOString(), counts: {} as Partial<Record<EventType, number>> }));
    const index = new Map(items.map((item, i) => [item.start, i]));
    for (const row of counts) {
      const item = items[index.get(row.start.toISOString()) ?? -1];
      if (item) item.counts[row.eventType as EventType] = row.count; // written only from EVENT_TYPES
    }
    return { bucket: window.bucket, from: window.from.toISOString(), to: window.to.toISOString(), items };
  }

  async verify(actor: Actor): Promise<VerifyResult> {
    this.securityLog.enqueue({ type: 'admin_action', details: { action: 'security_logs.verify', actor_id: actor.id } }, actor.context);
    return this.sealer.verify();
  }
}

function filtersOf(query: SecurityLogStatsQueryDto): LogFilters {
  return {
    eventTypes: query.event_type,
    userId: query.user_id,
    identifier: query.identifier,
    ip: query.ip,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

function toItem(row: SecurityLog): SecurityLogItem {
  return {
    id: row.id,
    event_type: row.eventType as EventType, // written only from EVENT_TYPES
    user_id: row.userId,
    identifier: row.identifier,
    ip: row.ip,
    user_agent: row.userAgent,
    session_id: row.sessionId,
    request_id: row.requestId,
    details: row.details,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * RFC 4180 quoting, and OWASP's guard against CSV formula injection: a cell that a spreadsheet
 * would read as a formula (= + - @ tab CR) is prefixed with a single quote.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(item: SecurityLogItem): string {
  return `${CSV_COLUMNS.map((c) => csvCell(item[c])).join(',')}\r\n`;
}
