import { IsBoolean, IsOptional } from 'class-validator';

export class RotateKeysDto {
  /** The active key leaked: do not wait for the next key's lead, and stop accepting the old key at once. */
  @IsOptional()
  @IsBoolean()
  urgent?: boolean;
}
