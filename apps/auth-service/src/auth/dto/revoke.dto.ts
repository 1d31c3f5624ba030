import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 7009 §2.1, as JSON or form-encoded. Any string is accepted (RFC 7009 §2.2: 200 for invalid tokens); the body limit bounds it. */
export class RevokeDto {
  @ApiProperty({ description: 'a refresh token or an access token' })
  @IsString()
  token: string;

  /** A hint only (RFC 7009): both kinds are tried whatever it says. */
  @ApiPropertyOptional({ enum: ['refresh_token', 'access_token'], description: 'a hint only: both kinds are tried' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;

  /** Public clients send their client_id (RFC 7009 §2.1, RFC 6749 §2.3): accepted, and changes nothing (Tessera has one client). */
  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  client_id?: string;
}
