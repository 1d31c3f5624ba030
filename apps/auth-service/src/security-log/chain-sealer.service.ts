import { setTimeout } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LockIds } from '../database/lock-ids';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { chainLink, GENESIS, rowMac } from './chain';
import { EventType } from './security-event';
import { SecurityLog } from './security-log.entity';
import { ChainPoint, SecurityLogRepository } from './security-log.repository';
import { SecurityLogService } from './security-log.service';

const SEAL_INTERVAL_MS = 1000;
const SEAL_BATCH = 1000;
/** How long the sealer waits, at most, for the transactions writing the log when it starts a batch (20 × 5 ms). */
const SETTLE_POLLS = 20;
const SETTLE_POLL_MS = 5;
const VERIFY_BATCH = 2000;
const HEAD_LOG_INTERVAL_MS = 60_000;

export interface VerifyResult {
  ok: boolean;
  checked: number;
  first_bad_id?: string;
}

/**
 * Seals the log in the background: each new row gets the next sequence number and a link
 * HMAC(previous link, seq, row MAC), written as a row of security_log_links (the event's own row is
 * never changed), one instance at a time. `verify` walks the chain from the
 * retention checkpoint. The sealed head is logged (and kept in memory) so that a deleted tail can be
 * noticed outside the database.
 */
@Injectable()
export class ChainSealer {
  private readonly logger = new Logger('SecurityLogChain');
  private highestSeen = 0n;
  private lastHeadLog = 0;

  constructor(
    private readonly logs: SecurityLogRepository,
    private readonly securityLog: SecurityLogService,
    private readonly dataSource: DataSource,
    private readonly jobs: ScheduledJobs,
  ) {
    jobs.schedule({ name: 'security-log.seal', everyMs: SEAL_INTERVAL_MS, run: () => this.sealOnce() });
  }

  /** Seals one batch, one instance at a time; returns how many rows it sealed (0 when another instance holds the lock). */
  async sealOnce(): Promise<number> {
    return (await this.jobs.exclusive(LockIds.securityLogSealer, () => this.sealBatch())) ?? 0;
  }

  /**
   * Links are written in id order, never above a settled id (`settledId`), so every row at or below
   * `sealed_through` has its link, and the rows still to seal are the ones above it without one.
   */
  private async sealBatch(): Promise<number> {
    const settled = await this.settledId();
    if (settled === null) return 0;
    const key = this.securityLog.key;
    const sealed = await this.dataSource.transaction(async (manager) => {
      const start = (await this.logs.head(manager)) ?? (await this.logs.checkpoint(manager)) ?? { seq: '0', chain: GENESIS };
      if (BigInt(start.seq) < this.highestSeen) {
        // The end of the chain this process sealed is gone: never paper over it by sealing anew from there.
        this.logger.error(`Sealed head went back from seq ${this.highestSeen} to ${start.seq}: rows were deleted from the end of the security log`);
        return null;
      }
      const after = await this.logs.sealedThrough(manager);
      if (BigInt(settled) <= BigInt(after)) return { count: 0, head: start };
      const rows = await this.logs.unsealed(after, settled, SEAL_BATCH, manager);
      let seq = BigInt(start.seq);
      let chain = start.chain;
      const links = rows.map((row) => {
        seq += 1n;
        chain = chainLink(key, chain, seq, row.mac);
        return { id: row.id, seq: seq.toString(), chain };
      });
      // A short batch read everything up to the settled id; a full one, up to its last row.
      const through = rows.length < SEAL_BATCH ? settled : rows[rows.length - 1].id;
      await this.logs.seal(links, through, manager);
      return { count: links.length, head: { seq: seq.toString(), chain } };
    });
    if (!sealed) return 0;
    this.noteHead(sealed.head);
    return sealed.count;
  }

  /**
   * An id at or below which every row that will ever exist is already visible, or null when that
   * could not be known in time. Rows get their ids when written, but become visible when their
   * transaction commits, and not in id order: sealing the visible rows up to the highest id would
   * leave out for good a row whose transaction drew a lower id and commits a moment later. A
   * statement that writes a row takes the table's RowExclusiveLock before it draws the id and keeps
   * it to its transaction's end, so once every transaction that held that lock just after the
   * highest id was read has ended, no row at or below that id can still appear. Those are waited
   * for (a few milliseconds: the service's writing transactions are single statements or short),
   * not blocked: writers are never held up by the sealer.
   */
  private async settledId(): Promise<string | null> {
    const highest = await this.logs.highestId();
    let waiting = await this.logs.writers();
    for (let wait = 0; waiting.length > 0; wait++) {
      if (wait === SETTLE_POLLS) return null;
      await setTimeout(SETTLE_POLL_MS);
      waiting = await this.logs.running(waiting);
    }
    return highest;
  }

  /** For metrics: the sealed head's sequence, the rows waiting to be sealed and the age of the oldest. */
  async sealingStatus(): Promise<{ headSeq: number; unsealedRows: number; lagSeconds: number }> {
    const [head, backlog] = await Promise.all([this.logs.head(), this.logs.unsealedBacklog()]);
    return { headSeq: Number(head?.seq ?? 0), unsealedRows: backlog.rows, lagSeconds: backlog.oldestAgeSeconds };
  }

  async verify(): Promise<VerifyResult> {
    const key = this.securityLog.key;
    const start = (await this.logs.checkpoint()) ?? { seq: '0', chain: GENESIS };
    let previousSeq = BigInt(start.seq);
    let previous = start.chain;
    let checked = 0;
    for (;;) {
      const links = await this.logs.sealedAfter(previousSeq.toString(), VERIFY_BATCH);
      for (const { seq: linkSeq, chain, logId, row } of links) {
        checked++;
        const seq = BigInt(linkSeq);
        // A gap is a deleted link; a link without its row, a deleted row; a bad MAC an edited or inserted one; a bad link a reordered one.
        if (seq !== previousSeq + 1n || row === null || !validMac(key, row) || !chain.equals(chainLink(key, previous, seq, row.mac))) {
          return { ok: false, checked, first_bad_id: logId };
        }
        previousSeq = seq;
        previous = chain;
      }
      if (links.length < VERIFY_BATCH) break;
    }
    let lastId = '0';
    for (;;) {
      const rows = await this.logs.unsealedAfter(lastId, VERIFY_BATCH);
      for (const row of rows) {
        checked++;
        if (!validMac(key, row)) return { ok: false, checked, first_bad_id: row.id };
        lastId = row.id;
      }
      if (rows.length < VERIFY_BATCH) break;
    }
    // Rows this process sealed or saw that are gone from the end of the chain.
    if (this.highestSeen > previousSeq) return { ok: false, checked };
    this.noteHead({ seq: previousSeq.toString(), chain: previous });
    return { ok: true, checked };
  }

  private noteHead(head: ChainPoint): void {
    const seq = BigInt(head.seq);
    if (seq > this.highestSeen) this.highestSeen = seq;
    if (Date.now() - this.lastHeadLog >= HEAD_LOG_INTERVAL_MS && seq > 0n) {
      this.lastHeadLog = Date.now();
      this.logger.log(`Sealed head: seq ${head.seq}, chain ${head.chain.toString('hex')}`);
    }
  }
}

function validMac(key: Buffer, row: SecurityLog): boolean {
  const expected = rowMac(key, {
    eventType: row.eventType as EventType,
    userId: row.userId,
    identifier: row.identifier,
    ip: row.ip,
    userAgent: row.userAgent,
    sessionId: row.sessionId,
    requestId: row.requestId,
    details: row.details,
    createdAt: row.createdAt,
  });
  return row.mac.equals(expected);
}
