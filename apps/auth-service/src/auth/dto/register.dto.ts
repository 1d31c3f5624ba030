import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPlainText } from '../../common/plain-text.validator';
import { IsAccountEmail, trimLower } from './email.validator';

export class RegisterDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @Transform(trimLower)
  @IsAccountEmail()
  email: string;

  /** The policy (length in code points after NFKC, not the email, not common) is applied by the service. */
  @ApiProperty({ format: 'password', maxLength: 1024, description: 'at least PASSWORD_MIN_LENGTH code points, not the email, not a common password' })
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @IsPlainText({ maxCodePoints: 100 })
  name?: string;
}
