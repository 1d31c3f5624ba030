import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 6749 §5.2: the error shape of POST /oauth/token. */
export class OAuthErrorResponseDto {
  @ApiProperty({ example: 'invalid_grant' }) error: string;
  @ApiProperty() error_description: string;
  @ApiPropertyOptional({ description: 'invalid_grant only: unknown, expired, revoked, reused or session_expired' }) reason?: string;
  @ApiPropertyOptional() request_id?: string;
}
