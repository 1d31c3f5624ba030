import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsPlainText } from '../../common/plain-text.validator';

export class AdminUsersQueryDto {
  /** A prefix of the (normalised) email. */
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsPlainText()
  email?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class SetRolesDto {
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { each: true, message: 'each role must be 1 to 32 lower-case letters, digits, - or _' })
  roles: string[];
}
