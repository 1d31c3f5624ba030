import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPlainText } from '../../common/plain-text.validator';
import { IsAccountEmail, trimLower } from './email.validator';

export class RegisterDto {
  @Transform(trimLower)
  @IsAccountEmail()
  email: string;

  /** The policy (length in code points after NFKC, not the email, not common) is applied by the service. */
  @IsString()
  @MaxLength(1024)
  password: string;

  @IsOptional()
  @IsString()
  @IsPlainText({ maxCodePoints: 100 })
  name?: string;
}
