import { Column, Entity, PrimaryColumn } from 'typeorm';

export type SuppressionReason = 'erased' | 'unsubscribed' | 'bounced' | 'complained' | 'manual';

/** Keyed by the SHA-256 of the normalised address so an erased person's address is never stored in clear. */
@Entity({ name: 'suppressions' })
export class Suppression {
  @PrimaryColumn('text', { name: 'email_hash' })
  emailHash!: string;

  @Column('text')
  reason!: SuppressionReason;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
