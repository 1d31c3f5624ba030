import { IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 7009 §2.1, as JSON or form-encoded. */
export class RevokeDto {
  @IsString()
  @MaxLength(8192)
  token: string;

  /** A hint only (RFC 7009): both kinds are tried whatever it says. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}
