import type { PGlite } from '@electric-sql/pglite';
import * as pg from 'pg';

/**
 * A `pg` module for TypeORM's postgres driver that talks to an in-process PGlite: the real
 * node-postgres Client over PGlite's in-process connection (no socket). PGlite is one session,
 * so the pool holds one client and transactions queue for it (measured: concurrent locked
 * rotations then have exactly one winner, unlike adapters that share one client).
 */
export function createPgliteDriver(pglite: PGlite): typeof pg {
  // Loaded lazily, only on the embedded path. (`require`: the subpath's typings need an exports-aware resolution.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PglitePgConnection } = require('@electric-sql/pglite/node-postgres') as {
    PglitePgConnection: new (config: { pglite: PGlite }) => unknown;
  };

  class PgliteClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connection: new PglitePgConnection({ pglite }) } as pg.ClientConfig);
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
    override connect(callback?: (error: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
      const ready = super.connect().then(async () => {
        // A client discarded by the pool mid-transaction leaves the one session aborted (25P02)
        // for every later client: roll it back before anyone else uses it.
        if (pglite.isInTransaction()) await pglite.exec('ROLLBACK');
        return this as pg.Client;
      });
      if (!callback) return ready;
      ready.then(
        (client) => callback(null, client),
        (error: Error) => callback(error),
      );
    }
  }

  class PglitePool extends pg.Pool {
    constructor(options?: pg.PoolConfig) {
      super({ ...options, max: 1, Client: PgliteClient } as unknown as pg.PoolConfig);
    }
  }

  return { ...pg, Pool: PglitePool, Client: PgliteClient } as unknown as typeof pg;
}
