import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  deactivated_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SubscriptionChange {
  url?: string;
  events?: string[];
  description?: string | null;
  active?: boolean;
}

@Injectable()
export class WebhookSubscriptionsRepository {
  constructor(private readonly tx: TransactionService) {}

  async insert(s: { id: string; url: string; events: string[]; description: string | null; active: boolean; secretSealed: string }): Promise<SubscriptionRow> {
    const [row] = await this.tx.manager.query<SubscriptionRow[]>(
      `INSERT INTO webhook_subscriptions (id, url, events, description, active, secret_sealed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [s.id, s.url, s.events, s.description, s.active, s.secretSealed],
    );
    return row;
  }

  list(): Promise<SubscriptionRow[]> {
    return this.tx.manager.query(`SELECT * FROM webhook_subscriptions ORDER BY id DESC`);
  }

  async findById(id: string): Promise<SubscriptionRow | undefined> {
    const [row] = await this.tx.manager.query<SubscriptionRow[]>(`SELECT * FROM webhook_subscriptions WHERE id = $1`, [id]);
    return row;
  }

  /** What emit() routes by: active subscriptions and their event lists. */
  active(): Promise<{ id: string; events: string[] }[]> {
    return this.tx.manager.query(`SELECT id, events FROM webhook_subscriptions WHERE active`);
  }

  /** Fields left undefined keep their value; turning a subscription back on clears why it was turned off. */
  async update(id: string, c: SubscriptionChange): Promise<SubscriptionRow | undefined> {
    const [rows] = await this.tx.manager.query<[SubscriptionRow[], number]>(
      `UPDATE webhook_subscriptions SET
         url = COALESCE($2, url),
         events = COALESCE($3, events),
         description = CASE WHEN $4::boolean THEN $5 ELSE description END,
         active = COALESCE($6, active),
         deactivated_reason = CASE WHEN $6::boolean THEN NULL ELSE deactivated_reason END,
         updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, c.url ?? null, c.events ?? null, c.description !== undefined, c.description ?? null, c.active ?? null],
    );
    return rows[0];
  }

  /** The current secret becomes the previous one, still signing until `previousUntil`. */
  async rotate(id: string, secretSealed: string, previousUntil: Date): Promise<SubscriptionRow | undefined> {
    const [rows] = await this.tx.manager.query<[SubscriptionRow[], number]>(
      `UPDATE webhook_subscriptions SET previous_secret_sealed = secret_sealed, previous_secret_until = $3, secret_sealed = $2, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, secretSealed, previousUntil],
    );
    return rows[0];
  }

  /** Switched off by Kindling (the endpoint answered 410 Gone); returns false when it already was. */
  async deactivate(id: string, reason: string): Promise<boolean> {
    const [, count] = await this.tx.manager.query<[unknown[], number]>(
      `UPDATE webhook_subscriptions SET active = false, deactivated_reason = $2, updated_at = now() WHERE id = $1 AND active`,
      [id, reason],
    );
    return count > 0;
  }

  /** Deletes the subscription and its delivery log. */
  async delete(id: string): Promise<boolean> {
    const [, count] = await this.tx.manager.query<[unknown[], number]>(
      `WITH gone AS (DELETE FROM webhook_deliveries WHERE subscription_id = $1) DELETE FROM webhook_subscriptions WHERE id = $1`,
      [id],
    );
    return count > 0;
  }
}
