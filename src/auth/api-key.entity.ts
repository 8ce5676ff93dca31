import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** public part of the key, used to find the row; the secret part is only stored as a hash */
  @Column('text')
  prefix!: string;

  @Column('text', { name: 'secret_hash' })
  secretHash!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
