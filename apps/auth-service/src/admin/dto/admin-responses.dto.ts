import { SessionViewDto } from '../../auth/dto/session-list.dto';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { PublicUserDto } from '../../auth/dto/token-response.dto';

export class AdminUserDto extends PublicUserDto {
  @ApiProperty()
  disabled: boolean;
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto] })
  items: AdminUserDto[];

  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;
}

/** A session as the user's own list shows it, without `current` (an admin has no current session there). */
export class AdminSessionDto extends OmitType(SessionViewDto, ['current'] as const) {}

class LockedAddressDto {
  @ApiProperty({ description: 'the client address as counted (IPv6 by /64)' }) address: string;
  @ApiProperty({ format: 'date-time' }) locked_until: string;
}

/** The lockout state of the user's identifier (SPEC §6). */
class LockStateDto {
  @ApiProperty({ description: 'the identifier-wide lock (known addresses are spared)' }) locked: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) locked_until: string | null;
  @ApiProperty({ description: 'failed logins counted toward the identifier-wide lock in the current window' }) recent_failures: number;
  @ApiProperty({ type: [LockedAddressDto] }) locked_addresses: LockedAddressDto[];
}

export class AdminUserDetailDto {
  @ApiProperty({ type: AdminUserDto })
  user: AdminUserDto;

  @ApiProperty({ enum: ['active', 'disabled'] })
  status: 'active' | 'disabled';

  @ApiProperty({ type: [AdminSessionDto], description: 'live sessions' })
  sessions: AdminSessionDto[];

  @ApiProperty({ type: LockStateDto })
  lock: LockStateDto;
}

export class AdminUserResponseDto {
  @ApiProperty({ type: AdminUserDto })
  user: AdminUserDto;
}

export class SecurityLogItemDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ example: 'login_failure' })
  event_type: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  user_id: string | null;

  @ApiProperty({ type: String, nullable: true })
  identifier: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  user_agent: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  session_id: string | null;

  @ApiProperty({ type: String, nullable: true })
  request_id: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class SecurityLogPageDto {
  @ApiProperty({ type: [SecurityLogItemDto] })
  items: SecurityLogItemDto[];

  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;
}

export class VerifyResultDto {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ description: 'rows checked' })
  checked: number;

  @ApiPropertyOptional({ description: 'the first row that fails the chain' })
  first_bad_id?: string;
}

export class SecurityLogStatsBucketDto {
  @ApiProperty({ format: 'date-time', description: 'the start of the bucket (UTC, aligned on the bucket)' })
  start: string;

  @ApiProperty({
    description: 'events per type in this bucket (types with none are left out); an aggregated row counts its details.count',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { login_failure: 3, rate_limited: 120 },
  })
  counts: Record<string, number>;
}

export class SecurityLogStatsDto {
  @ApiProperty({ enum: ['minute', 'hour', 'day'] })
  bucket: string;

  @ApiProperty({ format: 'date-time', description: 'inclusive' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'exclusive' })
  to: string;

  @ApiProperty({ type: [SecurityLogStatsBucketDto], description: 'every bucket of the range, oldest first, empty ones included' })
  items: SecurityLogStatsBucketDto[];
}
