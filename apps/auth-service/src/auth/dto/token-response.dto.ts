import { ApiProperty } from '@nestjs/swagger';

export class PublicUserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ type: [String], example: ['user'] })
  roles: string[];

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

/** RFC 6749 §5.1, plus the refresh token's lifetime and the user. */
export class TokenResponseDto {
  @ApiProperty({ description: 'JWT (RFC 9068)' })
  access_token: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({ description: 'seconds', example: 900 })
  expires_in: number;

  @ApiProperty({ description: 'opaque, single use (rotated on refresh)', example: 'rt_…' })
  refresh_token: string;

  @ApiProperty({ description: 'seconds until the refresh token expires unused', example: 604800 })
  refresh_expires_in: number;

  @ApiProperty({ type: PublicUserDto })
  user: PublicUserDto;
}

export class UserResponseDto {
  @ApiProperty({ type: PublicUserDto })
  user: PublicUserDto;
}
