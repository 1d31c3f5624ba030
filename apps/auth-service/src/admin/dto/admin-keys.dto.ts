import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class RotateKeysDto {
  /** The active key leaked: do not wait for the next key's lead, and stop accepting the old key at once. */
  @ApiPropertyOptional({ description: 'the active key leaked: rotate without waiting, and stop accepting the old key at once' })
  @IsOptional()
  @IsBoolean()
  urgent?: boolean;
}

/** One signing key, public parts only (SPEC §2 administration). */
export class SigningKeyItemDto {
  @ApiProperty() kid: string;
  @ApiProperty({ example: 'RS256' }) alg: string;
  @ApiProperty({ enum: ['next', 'active', 'retiring', 'retired'] }) state: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) activated_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) retiring_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) retired_at: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'public JWK members only' }) public_jwk: Record<string, unknown> | null;
}

export class SigningKeyListDto {
  @ApiProperty({ type: [SigningKeyItemDto] }) items: SigningKeyItemDto[];
}

export class RotatedKeyDto {
  @ApiProperty({ description: 'kid of the new active key' }) kid: string;
}
