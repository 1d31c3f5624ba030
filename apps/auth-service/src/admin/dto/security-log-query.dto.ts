import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { EVENT_TYPES } from '../../security-log/security-event';
import { IsPlainText } from '../../common/plain-text.validator';
import { IsReadableTime } from '../../common/readable-time.validator';
import { MAX_BUCKETS, STATS_BUCKETS, StatsBucket } from '../stats-window';

const toArray = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

/** The filters of SPEC §2 (administration); any other query parameter is refused. */
export class SecurityLogQueryDto {
  @ApiPropertyOptional({ type: [String], enum: EVENT_TYPES, description: 'repeatable' })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @IsIn(EVENT_TYPES, { each: true, message: `event_type must be one of ${EVENT_TYPES.join(', ')}` })
  event_type?: string[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsPlainText()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  identifier?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[0-9a-fA-F.:]+$/, { message: 'ip must be an IPv4 or IPv6 address' })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)) // stored in lower case
  ip?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsReadableTime()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsReadableTime()
  to?: string;

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

export class SecurityLogExportDto extends SecurityLogQueryDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}

/** The list's filters without its paging, and the bucket; `from`/`to` default to one screen of the bucket. */
export class SecurityLogStatsQueryDto extends OmitType(SecurityLogQueryDto, ['limit', 'cursor'] as const) {
  @ApiPropertyOptional({
    enum: STATS_BUCKETS,
    default: 'hour',
    description: `at most ${MAX_BUCKETS} buckets per answer; without from, the last hour (minute), 24 hours (hour) or 30 days (day) before to (default now)`,
  })
  @IsOptional()
  @IsIn(STATS_BUCKETS, { message: `bucket must be one of ${STATS_BUCKETS.join(', ')}` })
  bucket?: StatsBucket;
}
