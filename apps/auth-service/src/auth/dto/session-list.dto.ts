import { ApiProperty } from '@nestjs/swagger';

export class SessionViewDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  last_used_at: string;

  @ApiProperty({ format: 'date-time' })
  expires_at: string;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  user_agent: string | null;

  @ApiProperty({ description: 'the session of the access token that asked' })
  current: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionViewDto] })
  items: SessionViewDto[];

  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;
}
