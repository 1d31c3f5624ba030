import { Controller, Get, Header, Query } from '@nestjs/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { RevocationFeedService } from '../sessions/revocation-feed.service';
import { encodeFeedCursor, feedPositionOf } from './revocation-cursor';

export class RevocationsQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface RevocationsResponse {
  items: { sid: string; revoked_at: string }[];
  next_cursor: string;
}

/**
 * The public revocation feed (SPEC §8): session ids only, nothing secret, so that services which
 * verify through the JWKS drop a revoked session's tokens within their polling interval.
 */
@Controller('api/auth/revocations')
export class RevocationsController {
  constructor(private readonly feed: RevocationFeedService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async list(@Query() query: RevocationsQueryDto): Promise<RevocationsResponse> {
    const page = await this.feed.page(feedPositionOf(query.cursor));
    return { items: page.items, next_cursor: encodeFeedCursor(page.next) };
  }
}
