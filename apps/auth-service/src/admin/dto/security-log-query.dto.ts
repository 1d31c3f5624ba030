import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { EVENT_TYPES } from '../../security-log/security-event';
import { IsPlainText } from '../../common/plain-text.validator';
import { IsReadableTime } from '../../common/readable-time.validator';

const toArray = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

/** The filters of SPEC §2 (administration); any other query parameter is refused. */
export class SecurityLogQueryDto {
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @IsIn(EVENT_TYPES, { each: true, message: `event_type must be one of ${EVENT_TYPES.join(', ')}` })
  event_type?: string[];

  @IsOptional()
  @IsUUID()
  user_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsPlainText()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  identifier?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[0-9a-fA-F.:]+$/, { message: 'ip must be an IPv4 or IPv6 address' })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)) // stored in lower case
  ip?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  @IsReadableTime()
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  @IsReadableTime()
  to?: string;

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

export class SecurityLogExportDto extends SecurityLogQueryDto {
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}
