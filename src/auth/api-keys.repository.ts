import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly tx: TransactionService) {}

  private get repo() {
    return this.tx.manager.getRepository(ApiKey);
  }

  insert(key: ApiKey): Promise<ApiKey> {
    return this.repo.save(key);
  }

  findActiveByPrefix(prefix: string): Promise<ApiKey | null> {
    return this.repo.createQueryBuilder('k').where('k.prefix = :prefix AND k.revoked_at IS NULL', { prefix }).getOne();
  }

  list(): Promise<ApiKey[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async revoke(prefixOrName: string): Promise<number> {
    const res = await this.tx.manager.query<[unknown, number]>(
      `UPDATE api_keys SET revoked_at = now() WHERE (prefix = $1 OR name = $1) AND revoked_at IS NULL`,
      [prefixOrName],
    );
    return res[1];
  }

  async touch(id: string): Promise<void> {
    await this.tx.manager.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
