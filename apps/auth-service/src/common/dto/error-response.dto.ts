import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetailDto {
  @ApiProperty({ example: 'email' })
  field: string;

  @ApiProperty({ example: 'email must be an email address' })
  message: string;
}

/** The one error shape of SPEC §2, as OpenAPI documents it for every operation. */
export class ErrorResponseDto {
  @ApiProperty({ example: 401 })
  statusCode: number;

  @ApiProperty({
    description: 'Stable machine code',
    example: 'invalid_credentials',
    enum: ['validation_failed', 'invalid_json', 'unsupported_media_type', 'invalid_credentials', 'invalid_grant', 'unauthorized', 'forbidden', 'not_found', 'email_taken', 'rate_limited', 'account_locked', 'payload_too_large', 'unavailable', 'internal_error'],
  })
  error: string;

  @ApiProperty({ example: 'Invalid email or password' })
  message: string;

  @ApiPropertyOptional({ type: [ErrorDetailDto], description: 'validation_failed: one entry per refused field' })
  details?: ErrorDetailDto[];

  @ApiPropertyOptional({ description: 'invalid_grant: why (unknown, expired, revoked, reused, session_expired)', example: 'reused' })
  reason?: string;

  @ApiProperty({ description: "The request's id (X-Request-Id): its log lines and security events carry it", example: '3f2a9c4e-1b7d-4c1e-9a51-0c7f7e0b9d12' })
  request_id: string;
}
