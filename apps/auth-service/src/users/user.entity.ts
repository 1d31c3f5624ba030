import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryColumn('uuid')
  id: string;

  /** As typed (trimmed, lower-cased, NFC): what is shown. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /**
   * The compared form (domain in punycode, users/email.ts), unique. NULL only for rows that already
   * shared it with an older row when the column was added (see the migration AddEmailLookalikeGuards).
   */
  @Column({ name: 'email_canonical', type: 'text', nullable: true })
  emailCanonical: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'text', array: true })
  roles: string[];

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** What leaves the service about a user: never a hash or any secret. */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  created_at: string;
}

export function toPublicUser(user: User): PublicUser {
  return { id: user.id, email: user.email, name: user.name, roles: user.roles, created_at: user.createdAt.toISOString() };
}

/** The same from a raw SQL row (plain-SQL reads on the hot paths: /me, refresh). */
export function publicUserFromRow(row: { id: string; email: string; name: string | null; roles: string[]; created_at: Date }): PublicUser {
  return { id: row.id, email: row.email, name: row.name, roles: row.roles, created_at: row.created_at.toISOString() };
}
