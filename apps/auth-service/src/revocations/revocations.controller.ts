import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { RevocationFeedService } from '../sessions/revocation-feed.service';
import { encodeFeedCursor, feedPositionOf } from './revocation-cursor';

export class RevocationsQueryDto {
  @ApiPropertyOptional({ description: 'the next_cursor of the previous page; absent for the first' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

class RevokedSessionDto {
  @ApiProperty({ format: 'uuid' }) sid: string;
  @ApiProperty({ format: 'date-time' }) revoked_at: string;
}

export class RevocationsResponse {
  @ApiProperty({ type: [RevokedSessionDto] }) items: RevokedSessionDto[];
  @ApiProperty() next_cursor: string;
}

/**
 * The public revocation feed (SPEC §8): session ids only, nothing secret, so that services which
 * verify through the JWKS drop a revoked session's tokens within their polling interval.
 */
@ApiTags('auth')
@Controller('api/auth/revocations')
export class RevocationsController {
  constructor(private readonly feed: RevocationFeedService) {}

  @ApiOkResponse({ type: RevocationsResponse })
  @ApiErrors(400)
  @Get()
  @Header('Cache-Control', 'no-store')
  async list(@Query() query: RevocationsQueryDto): Promise<RevocationsResponse> {
    const page = await this.feed.page(feedPositionOf(query.cursor));
    return { items: page.items, next_cursor: encodeFeedCursor(page.next) };
  }
}
