import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'leads' })
export class Lead {
  @PrimaryColumn('uuid')
  id!: string;

  /** trimmed and lower-cased; unique */
  @Column('text')
  email!: string;

  @Column('text', { name: 'first_name', nullable: true })
  firstName!: string | null;

  @Column('text', { name: 'last_name', nullable: true })
  lastName!: string | null;

  @Column('text', { nullable: true })
  company!: string | null;

  @Column('text', { name: 'job_title', nullable: true })
  jobTitle!: string | null;

  @Column('text', { nullable: true })
  industry!: string | null;

  @Column('integer', { name: 'company_size', nullable: true })
  companySize!: number | null;

  /** ISO 3166-1 alpha-2 */
  @Column('text', { nullable: true })
  country!: string | null;

  /** IANA zone, e.g. Europe/Berlin */
  @Column('text', { nullable: true })
  timezone!: string | null;

  /** BCP 47, e.g. de-DE */
  @Column('text', { nullable: true })
  locale!: string | null;

  @Column('text', { nullable: true })
  source!: string | null;

  @Column('jsonb', { default: {} })
  attributes!: Record<string, unknown>;

  /** true: opted in; false: refused or withdrawn; null: never asked */
  @Column('boolean', { nullable: true })
  consent!: boolean | null;

  /** total score; `scores` holds every dimension (total, product:…) */
  @Column('numeric', { precision: 12, scale: 2, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  score!: number;

  @Column('jsonb')
  scores!: Record<string, number>;

  @Column('text', { nullable: true })
  grade!: string | null;

  @Column('text', { nullable: true })
  persona!: string | null;

  @Column('text')
  stage!: string;

  @Column('text')
  temperature!: string;

  @Column('timestamptz', { name: 'temperature_since' })
  temperatureSince!: Date;

  @Column('timestamptz', { name: 'last_activity_at', nullable: true })
  lastActivityAt!: Date | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  /** set by the one-click unsubscribe; marketing mail stops at once */
  @Column('timestamptz', { name: 'unsubscribed_at', nullable: true })
  unsubscribedAt!: Date | null;

  /** the sales rep who owns the lead (assignment pending or accepted, or converted); null while marketing nurtures it */
  @Column('uuid', { name: 'owner_id', nullable: true })
  ownerId!: string | null;

  @Column('timestamptz', { name: 'erased_at', nullable: true })
  erasedAt!: Date | null;
}
