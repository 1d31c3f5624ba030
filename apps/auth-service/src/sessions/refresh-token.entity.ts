import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One refresh token of a session. Only the SHA-256 of the token is stored, never the token. */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** The idle end: it slides at each rotation, never past the session's absolute end. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  /**
   * Whether the row is found by its hash alone: tokens issued before tokens carried their row's id
   * (refresh-token.ts). Every token issued now is found by id, and written with false.
   */
  @Column({ name: 'lookup_by_hash', type: 'boolean', default: true })
  lookupByHash: boolean;
}
