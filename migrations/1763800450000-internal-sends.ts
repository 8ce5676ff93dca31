import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Internal sends: mail to one of our own people (a rep notification) about a lead. The lead stays
 * in lead_id (the template's context); the message goes to recipient_email. Only internal sends
 * name a recipient, so marketing mail can never be pointed at an address that skipped the
 * lead's suppression and consent checks.
 */
export class InternalSends1763800450000 implements MigrationInterface {
  name = 'InternalSends1763800450000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE email_sends
        ADD COLUMN recipient_email text,
        ADD COLUMN recipient_name text,
        DROP CONSTRAINT email_sends_category_check,
        ADD CONSTRAINT email_sends_category_check CHECK (category IN ('marketing', 'transactional', 'internal')),
        ADD CONSTRAINT email_sends_recipient_check CHECK ((category = 'internal') = (recipient_email IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM email_sends WHERE category = 'internal'`);
    await q.query(`
      ALTER TABLE email_sends
        DROP CONSTRAINT email_sends_recipient_check,
        DROP CONSTRAINT email_sends_category_check,
        ADD CONSTRAINT email_sends_category_check CHECK (category IN ('marketing', 'transactional')),
        DROP COLUMN recipient_name,
        DROP COLUMN recipient_email`);
  }
}
