import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { ApiKey } from './api-key.entity';
import { generateApiKey, parseApiKey, secretMatches } from './api-key.rules';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthError } from './auth.error';

const CACHE_TTL_MS = 30_000;

@Injectable()
export class ApiKeysService {
  /** Verified keys for a short while, so authenticated bursts do not cost a query each. */
  private readonly cache = new Map<string, { id: string; name: string; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly repo: ApiKeysRepository) {}

  async create(name: string): Promise<{ key: string; apiKey: ApiKey }> {
    const generated = generateApiKey();
    const apiKey = await this.repo.insert(
      Object.assign(new ApiKey(), { id: uuidv7(), name, prefix: generated.prefix, secretHash: generated.secretHash, createdAt: new Date(), lastUsedAt: null, revokedAt: null }),
    );
    return { key: generated.key, apiKey };
  }

  list(): Promise<ApiKey[]> {
    return this.repo.list();
  }

  async revoke(prefixOrName: string): Promise<number> {
    const n = await this.repo.revoke(prefixOrName);
    this.cache.clear();
    return n;
  }

  /** Returns the key's id and name, or throws 401. */
  async verify(key: string | undefined): Promise<{ id: string; name: string }> {
    if (!key) throw new AuthError('missing_api_key', 'Send an API key as "Authorization: Bearer <key>"');
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached;
    const parsed = parseApiKey(key);
    const row = parsed ? await this.repo.findActiveByPrefix(parsed.prefix) : null;
    if (!parsed || !row || !secretMatches(parsed.secret, row.secretHash)) {
      throw new AuthError('invalid_api_key', 'The API key is not valid or has been revoked');
    }
    const entry = { id: row.id, name: row.name, until: Date.now() + CACHE_TTL_MS };
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, entry);
    if ((this.touched.get(row.id) ?? 0) < Date.now() - 60_000) {
      this.touched.set(row.id, Date.now());
      void this.repo.touch(row.id).catch(() => undefined);
    }
    return entry;
  }
}
