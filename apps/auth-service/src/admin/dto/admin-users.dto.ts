import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsPlainText } from '../../common/plain-text.validator';

export class AdminUsersQueryDto {
  /** A prefix of the (normalised) email. */
  @ApiPropertyOptional({ description: 'a prefix of the normalised email', maxLength: 254 })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsPlainText()
  email?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class SetRolesDto {
  @ApiProperty({ type: [String], maxItems: 20, example: ['admin'] })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { each: true, message: 'each role must be 1 to 32 lower-case letters, digits, - or _' })
  roles: string[];
}
