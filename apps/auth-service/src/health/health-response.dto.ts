import { ApiProperty } from '@nestjs/swagger';

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';

  @ApiProperty({ enum: ['up'] })
  database: 'up';

  @ApiProperty({ enum: ['up', 'down', 'not_configured'], description: 'Redis down keeps the service ready (SPEC §2)' })
  redis: 'up' | 'down' | 'not_configured';
}
