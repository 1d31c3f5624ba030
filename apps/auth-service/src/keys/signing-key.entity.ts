import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';

export type KeyStatus = 'next' | 'active' | 'retiring' | 'retired';

/** A signing key (SPEC §7). The private part is stored encrypted (AES-256-GCM), never in clear. */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 8 })
  alg: string;

  @Column({ type: 'varchar', length: 10 })
  status: KeyStatus;

  /** Public members only; null for HS256, whose key is a shared secret and is never published. */
  @Column({ name: 'public_jwk', type: 'jsonb', nullable: true })
  publicJwk: JWK | null;

  @Column({ name: 'private_key_enc', type: 'text' })
  privateKeyEnc: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'retiring_at', type: 'timestamptz', nullable: true })
  retiringAt: Date | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
