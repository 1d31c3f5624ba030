import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContext } from '../common/request-context';
import { deriveKey } from '../keys/key-crypto';
import { resolveEncryptionSecret } from '../keys/encryption-secret';
import { rowMac } from './chain';
import { SecurityEventInput, SecurityEventRecord } from './security-event';
import { SecurityLog } from './security-log.entity';
import { SecurityLogRepository } from './security-log.repository';

const FLUSH_INTERVAL_MS = 200;
const FLUSH_SIZE = 200;
const MAX_BUFFERED = 20_000;
const MAX_DETAILS_BYTES = 2048;

/**
 * Records security events (SPEC §5). An event of a request that writes joins that request's
 * transaction (pass its EntityManager): it is committed with the fact or not at all. Events of
 * requests that write nothing (failed logins and refreshes, admin reads) are buffered and written in
 * batches in the background, so logging adds no round trip to them; the buffer is bounded and
 * flushed at shutdown. Never recorded: passwords, tokens, token hashes, authorization headers.
 */
@Injectable()
export class SecurityLogService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('SecurityLog');
  readonly key: Buffer;
  private buffer: Omit<SecurityLog, 'id' | 'seq' | 'chain'>[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly logs: SecurityLogRepository,
  ) {
    this.key = deriveKey(resolveEncryptionSecret(config), 'security-log-chain');
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** In the caller's transaction; `context` is the request the events come from (NO_REQUEST for none). */
  async record(events: SecurityEventInput | SecurityEventInput[], context: RequestContext, manager: EntityManager): Promise<void> {
    await this.logs.insert((Array.isArray(events) ? events : [events]).map((e) => this.toRow(e, context)), manager);
  }

  /** In the background: for requests that write nothing. */
  enqueue(event: SecurityEventInput, context: RequestContext): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.logger.error(`Security log buffer full (${MAX_BUFFERED}): dropping the oldest event`);
      this.buffer.shift();
    }
    this.buffer.push(this.toRow(event, context));
    if (this.buffer.length >= FLUSH_SIZE) void this.flush();
  }

  /** Writes what is buffered; on failure keeps it for the next try. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, FLUSH_SIZE);
        try {
          await this.logs.insert(batch);
          this.buffer.splice(0, batch.length);
        } catch (error) {
          this.logger.warn(`Writing ${batch.length} security event(s) failed, will retry: ${(error as Error).message}`);
          return;
        }
      }
    });
    return this.flushing;
  }

  private toRow(event: SecurityEventInput, context: RequestContext): Omit<SecurityLog, 'id' | 'seq' | 'chain'> {
    const record: SecurityEventRecord = {
      eventType: event.type,
      userId: event.userId ?? null,
      identifier: event.identifier?.slice(0, 254) ?? null,
      ip: context.ip?.slice(0, 64) ?? null,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      sessionId: event.sessionId ?? null,
      requestId: context.requestId?.slice(0, 64) ?? null,
      details: boundedDetails(event.details ?? {}),
      createdAt: new Date(),
    };
    return { ...record, mac: rowMac(this.key, record) };
  }
}

function boundedDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Buffer.byteLength(JSON.stringify(details)) <= MAX_DETAILS_BYTES ? details : { truncated: true };
}
