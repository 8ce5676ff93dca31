import { MigrationInterface, QueryRunner } from 'typeorm';

export class EvaluationBatching1763800600000 implements MigrationInterface {
  name = 'EvaluationBatching1763800600000';

  async up(q: QueryRunner): Promise<void> {
    // A lead's pending activities in the order they are applied, without walking its history:
    // rows leave the index as they are marked evaluated.
    await q.query(`CREATE INDEX activities_lead_pending_idx ON activities (lead_id, occurred_at, id) WHERE evaluated_at IS NULL`);

    // A lead whose evaluation committed but whose follow-ups (tracks, webhooks) are still being
    // run by the evaluator that holds the token. Other evaluators leave the lead alone until the
    // row is gone, so a lead's changes reach the follow-ups in the order they were made. The
    // lease runs out if that evaluator dies.
    await q.query(`
      CREATE TABLE lead_follow_ups (
        lead_id uuid PRIMARY KEY REFERENCES leads(id),
        token uuid NOT NULL,
        until timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lead_follow_ups`);
    await q.query(`DROP INDEX activities_lead_pending_idx`);
  }
}
