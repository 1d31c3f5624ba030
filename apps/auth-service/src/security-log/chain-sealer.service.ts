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
const VERIFY_BATCH = 2000;
const HEAD_LOG_INTERVAL_MS = 60_000;

export interface VerifyResult {
  ok: boolean;
  checked: number;
  first_bad_id?: string;
}

/**
 * Seals the log in the background: each new row gets the next sequence number and a link
 * HMAC(previous link, seq, row MAC), one instance at a time. `verify` walks the chain from the
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

  private async sealBatch(): Promise<number> {
    const key = this.securityLog.key;
    const sealed = await this.dataSource.transaction(async (manager) => {
      const start = (await this.logs.head(manager)) ?? (await this.logs.checkpoint(manager)) ?? { seq: '0', chain: GENESIS };
      if (BigInt(start.seq) < this.highestSeen) {
        // The end of the chain this process sealed is gone: never paper over it by sealing anew from there.
        this.logger.error(`Sealed head went back from seq ${this.highestSeen} to ${start.seq}: rows were deleted from the end of the security log`);
        return null;
      }
      const rows = await this.logs.unsealed(SEAL_BATCH, manager);
      let seq = BigInt(start.seq);
      let chain = start.chain;
      const links = rows.map((row) => {
        seq += 1n;
        chain = chainLink(key, chain, seq, row.mac);
        return { id: row.id, seq: seq.toString(), chain };
      });
      await this.logs.seal(links, manager);
      return { count: links.length, head: { seq: seq.toString(), chain } };
    });
    if (!sealed) return 0;
    this.noteHead(sealed.head);
    return sealed.count;
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
      const rows = await this.logs.sealedAfter(previousSeq.toString(), VERIFY_BATCH);
      for (const row of rows) {
        checked++;
        const seq = BigInt(row.seq as string);
        const link = chainLink(key, previous, seq, row.mac);
        // A gap is a deleted row; a bad MAC an edited or inserted one; a bad link a reordered one.
        if (seq !== previousSeq + 1n || !validMac(key, row) || !row.chain?.equals(link)) return { ok: false, checked, first_bad_id: row.id };
        previousSeq = seq;
        previous = row.chain;
      }
      if (rows.length < VERIFY_BATCH) break;
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
