import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { poolOf } from '../database/data-source';
import { DataSource } from 'typeorm';
import { KeyStore } from '../keys/key-store.service';
import { ChainSealer } from '../security-log/chain-sealer.service';
import { SecurityLogService } from '../security-log/security-log.service';
import { Metrics } from './metrics.service';
import { RedisConnection } from './redis-connection';

/** Two gauges read one backlog query; a scrape collects them together, so one answer serves both. */
const SEALING_REUSE_MS = 1000;

/**
 * Gauges computed when Prometheus scrapes (prom-client `collect`), from the parts that know the
 * value: nothing is polled in between. A part that cannot answer (the database down) leaves its
 * gauge out of that scrape rather than failing the scrape.
 */
@Injectable()
export class MetricsGauges implements OnModuleInit {
  private sealing?: { at: number; value: ReturnType<ChainSealer['sealingStatus']> };

  constructor(
    private readonly metrics: Metrics,
    private readonly keys: KeyStore,
    private readonly sealer: ChainSealer,
    private readonly securityLog: SecurityLogService,
    private readonly dataSource: DataSource,
    private readonly redis: RedisConnection,
  ) {}

  onModuleInit(): void {
    const gauge = (name: string, help: string, collect: (set: (value: number, labels?: Record<string, string>) => void) => void | Promise<void>, labelNames: string[] = []) => {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.metrics.registry],
        async collect() {
          this.reset();
          await Promise.resolve(collect((value, labels) => (labels ? this.set(labels, value) : this.set(value)))).catch(() => undefined);
        },
      });
    };
    const secondsSince = (date: Date | undefined) => (date ? Math.max(0, (Date.now() - date.getTime()) / 1000) : 0);

    gauge('tessera_signing_key_active_age_seconds', 'Seconds since the active signing key began signing', (set) => {
      const { activeSince } = this.keys.timeline();
      if (activeSince) set(secondsSince(activeSince));
    });
    gauge('tessera_signing_key_next_lead_seconds', 'Seconds the next signing key has been published ahead of signing (0: no next key)', (set) =>
      set(secondsSince(this.keys.timeline().nextPublishedAt)),
    );
    // Read before the gauges below put their own queries on the pool, so that a scrape does not count itself as waiting.
    gauge(
      'tessera_db_pool_connections',
      'Database pool connections by state (total, idle, waiting clients)',
      (set) => {
        const pool = poolOf(this.dataSource);
        if (!pool) return;
        set(pool.totalCount, { state: 'total' });
        set(pool.idleCount, { state: 'idle' });
        set(pool.waitingCount, { state: 'waiting' });
      },
      ['state'],
    );
    gauge('tessera_security_log_sealed_seq', 'Sequence number of the sealed head of the security log chain', async (set) => set((await this.sealingStatus()).headSeq));
    gauge('tessera_security_log_unsealed_rows', 'Security events written but not yet sealed into the chain', async (set) => set((await this.sealingStatus()).unsealedRows));
    gauge('tessera_security_log_sealing_lag_seconds', 'Age of the oldest unsealed security event (0: none waiting)', async (set) => set((await this.sealingStatus()).lagSeconds));
    gauge('tessera_security_log_buffer_depth', 'Security events waiting in the background buffer', (set) => set(this.securityLog.bufferStats().depth));
    gauge('tessera_security_log_buffer_dropped', 'Security events dropped since start (buffer full, or refused by the database)', (set) => set(this.securityLog.bufferStats().dropped));
    // Without REDIS_URL there is no Redis to be up or down: no gauge rather than a misleading 0.
    if (this.redis.configured) gauge('tessera_redis_up', 'Whether the Redis connection is up (1) or down (0)', (set) => set(this.redis.up ? 1 : 0));
  }

  private sealingStatus(): ReturnType<ChainSealer['sealingStatus']> {
    if (!this.sealing || Date.now() - this.sealing.at > SEALING_REUSE_MS) {
      this.sealing = { at: Date.now(), value: this.sealer.sealingStatus() };
      // A failed query is not reused: the next scrape asks again.
      this.sealing.value.catch(() => (this.sealing = undefined));
    }
    return this.sealing.value;
  }
}
