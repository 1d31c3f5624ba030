import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A random HMAC key for one purpose, stored wrapped (AES-256-GCM) by KEYS_ENCRYPTION_SECRET (SPEC §7). */
@Entity({ name: 'data_keys' })
export class DataKey {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  purpose: string;

  @Column({ name: 'key_enc', type: 'text' })
  keyEnc: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When it was last wrapped: at creation, and when the secret rotated. */
  @Column({ name: 'wrapped_at', type: 'timestamptz' })
  wrappedAt: Date;
}
