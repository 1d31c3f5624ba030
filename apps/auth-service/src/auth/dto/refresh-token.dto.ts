import { IsString, MaxLength } from 'class-validator';

/** Any string is looked up (an odd one is simply unknown: 401); only a missing or non-string value is 400. */
export class RefreshTokenDto {
  @IsString()
  @MaxLength(4096)
  refresh_token: string;
}
