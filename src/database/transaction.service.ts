import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Services open a transaction with `tx.run(...)`; repositories ask `tx.manager` for the
 * manager to use, so they join the caller's transaction without having it passed around.
 */
@Injectable()
export class TransactionService {
  private readonly store = new AsyncLocalStorage<EntityManager>();

  constructor(private readonly dataSource: DataSource) {}

  /** The transaction's manager when inside `run`, the pooled manager otherwise. */
  get manager(): EntityManager {
    return this.store.getStore() ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.store.getStore() !== undefined;
  }

  /** Runs `work` in a transaction, or joins the surrounding one. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const current = this.store.getStore();
    if (current) return work(current);
    return this.dataSource.transaction((manager) => this.store.run(manager, () => work(manager)));
  }
}
