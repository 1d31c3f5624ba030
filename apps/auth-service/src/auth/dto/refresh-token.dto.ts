import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

/**
 * Any string is looked up, whatever its length or shape (an odd one is simply unknown: 401; it is
 * found by the row id it carries and its hash, or by its hash alone); only a missing or non-string
 * value is 400. The 16 KiB body limit (413) bounds its size.
 */
export class RefreshTokenDto {
  @ApiProperty({ example: 'rt_…' })
  @IsString()
  refresh_token: string;
}
