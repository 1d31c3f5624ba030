import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

/**
 * Any string is looked up, whatever its length or shape (an odd one is simply unknown: 401; only its
 * hash is ever compared); only a missing or non-string value is 400. The 16 KiB body limit (413)
 * bounds its size.
 */
export class RefreshTokenDto {
  @ApiProperty({ example: 'rt_…' })
  @IsString()
  refresh_token: string;
}
