import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A transaction under way: its manager, and what must happen once it has committed. */
export interface Tx {
  readonly manager: EntityManager;
  /**
   * Runs `hook` after the commit, never on a rollback: for what must not be announced before the
   * fact stands (a revocation told to the other instances). A hook's failure is logged, not thrown:
   * the fact is committed and the caller's answer must say so.
   */
  afterCommit(hook: () => Promise<unknown> | unknown): void;
}

/** `dataSource.transaction` with after-commit hooks. */
@Injectable()
export class Transactions {
  private readonly logger = new Logger('Transactions');

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks: (() => Promise<unknown> | unknown)[] = [];
    const result = await this.dataSource.transaction((manager) => work({ manager, afterCommit: (hook) => void hooks.push(hook) }));
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        this.logger.error(`An after-commit hook failed: ${(error as Error).message}`);
      }
    }
    return result;
  }
}
