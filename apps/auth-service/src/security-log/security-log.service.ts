import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LONE_SURROGATE } from '../common/plain-text.validator';
import { RequestContext } from '../common/request-context';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { DataKeys } from '../keys/data-keys.service';
import { rowMac } from './chain';
import { ClosedAggregate, EventAggregator } from './event-aggregator';
import { SecurityEventInput, SecurityEventRecord } from './security-event';
import { SecurityLogRepository, SecurityLogRow } from './security-log.repository';
import { sqlState } from '../database/database-errors';

const FLUSH_INTERVAL_MS = 200;
const FLUSH_SIZE = 200;
const MAX_BUFFERED = 20_000;
const MAX_DETAILS_BYTES = 2048;
const MAX_OPEN_AGGREGATES = 10_000;

/**
 * Records security events (SPEC §5). An event of a request that writes joins that request's
 * transaction (pass its EntityManager): it is committed with the fact or not at all. Events of
 * requests that write nothing (failed logins and refreshes, admin reads) are buffered and written in
 * batches in the background, so logging adds no round trip to them; the buffer is bounded and
 * flushed at shutdown. Never recorded: passwords, tokens, token hashes, authorization headers.
 */
@Injectable()
export class SecurityLogService implements OnApplicationShutdown {
  private readonly logger = new Logger('SecurityLog');
  private buffer: SecurityLogRow[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly aggregates = new EventAggregator(MAX_OPEN_AGGREGATES);
  /** Events lost since start: pushed out of a full buffer, or refused by the database on their own. */
  private dropped = 0;

  constructor(
    private readonly logs: SecurityLogRepository,
    private readonly dataKeys: DataKeys,
    jobs: ScheduledJobs,
  ) {
    jobs.schedule({
      name: 'security-log.flush',
      everyMs: FLUSH_INTERVAL_MS,
      run: () => {
        this.bufferAggregates(this.aggregates.close());
        return this.flush();
      },
    });
  }

  /** The chain's HMAC key (SPEC §5): rows are MACed with it here, and sealed and verified with it by ChainSealer. */
  get key(): Buffer {
    return this.dataKeys.key('security-log-chain');
  }

  /**
   * The last flush, once the HTTP server has drained (Nest closes it between the before- and the
   * on-shutdown hooks), so that events of requests answered during the drain are written too; the
   * database closes after (TypeORM's module is global, so its shutdown hook runs last).
   */
  onApplicationShutdown(): Promise<void> {
    return this.flushAll();
  }

  /** Closes every open aggregate, even of the current minute, and writes everything buffered. */
  async flushAll(): Promise<void> {
    this.bufferAggregates(this.aggregates.close(new Date(), true));
    await this.flush();
  }

  /** For metrics: events waiting in the background buffer, and events dropped since start. */
  bufferStats(): { depth: number; dropped: number } {
    return { depth: this.buffer.length, dropped: this.dropped };
  }

  /** In the caller's transaction; `context` is the request the events come from (NO_REQUEST for none). */
  async record(events: SecurityEventInput | SecurityEventInput[], context: RequestContext, manager: EntityManager): Promise<void> {
    await this.logs.insert((Array.isArray(events) ? events : [events]).map((e) => this.toRow(e, context)), manager);
  }

  /** In the background: for requests that write nothing. */
  enqueue(event: SecurityEventInput, context: RequestContext): void {
    this.push(this.toRow(event, context));
  }

  /**
   * In the background, aggregated (SPEC §5): one row per type, client, identifier and minute, with
   * `details.count`, written once its minute is over (or at shutdown). For floods: `rate_limited`
   * and `login_failure` with `reason: locked`.
   */
  enqueueAggregated(event: SecurityEventInput, context: RequestContext): void {
    this.bufferAggregates(this.aggregates.add(event, context));
  }

  private bufferAggregates(closed: ClosedAggregate[]): void {
    for (const { event, context, createdAt } of closed) this.push(this.toRow(event, context, createdAt));
  }

  private push(row: SecurityLogRow): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.logger.error(`Security log buffer full (${MAX_BUFFERED}): dropping the oldest event`);
      this.buffer.shift();
      this.dropped++;
    }
    this.buffer.push(row);
    if (this.buffer.length >= FLUSH_SIZE) void this.flush();
  }

  /**
   * Writes what is buffered. When a batch fails because the database is unreachable, it is kept for
   * the next try; when the database refuses the batch's data, each row is tried on its own, so that
   * no row can hold back the others (a row refused on its own is logged and dropped).
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, FLUSH_SIZE);
        try {
          await this.logs.insert(batch);
        } catch (error) {
          if (!isDataError(error)) {
            this.logger.warn(`Writing ${batch.length} security event(s) failed, will retry: ${(error as Error).message}`);
            return;
          }
          for (const row of batch) {
            try {
              await this.logs.insert([row]);
            } catch (rowError) {
              if (!isDataError(rowError)) {
                this.logger.warn(`Writing a security event failed, will retry: ${(rowError as Error).message}`);
                this.buffer.splice(0, batch.indexOf(row));
                return;
              }
              this.dropped++;
              this.logger.error(`Dropped a ${row.eventType} security event the database refused: ${(rowError as Error).message}`);
            }
          }
        }
        this.buffer.splice(0, batch.length);
      }
    });
    return this.flushing;
  }

  /**
   * The row of one event, MACed, for a caller that writes it in a statement of its own making (the
   * one-statement refresh): it is committed with that statement or not at all.
   */
  rowOf(event: SecurityEventInput, context: RequestContext): SecurityLogRow {
    return this.toRow(event, context);
  }

  private toRow(event: SecurityEventInput, context: RequestContext, createdAt = new Date()): SecurityLogRow {
    const record: SecurityEventRecord = {
      eventType: event.type,
      userId: event.userId ?? null,
      identifier: storable(event.identifier?.slice(0, 254)),
      ip: storable(context.ip?.slice(0, 64)),
      userAgent: storable(context.userAgent?.slice(0, 512)),
      sessionId: event.sessionId ?? null,
      requestId: storable(context.requestId?.slice(0, 64)),
      details: event.details ? boundedDetails(storableDetails(event.details)) : {},
      createdAt,
    };
    return { ...record, mac: rowMac(this.key, record) };
  }
}

/**
 * What PostgreSQL can store of a client's text: text and jsonb refuse NUL, and jsonb refuses lone
 * surrogates; both become U+FFFD, so that an attacker's odd input is recorded, not refused.
 */
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE}`, 'g');

function storable(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return text.replace(UNSTORABLE, '\uFFFD');
}

function storableDetails(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details, (_key, value: unknown) => (typeof value === 'string' ? storable(value) : value))) as Record<string, unknown>;
}

/** SQLSTATE class 22 (data exception) and 23 (integrity): the rows, not the connection, are the problem. */
function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

function boundedDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Buffer.byteLength(JSON.stringify(details)) <= MAX_DETAILS_BYTES ? details : { truncated: true };
}
