import { IsString, MaxLength } from 'class-validator';

export class ChangePasswordDto {
  @IsString()
  @MaxLength(1024)
  current_password: string;

  /** The password policy is applied by the service. */
  @IsString()
  @MaxLength(1024)
  new_password: string;
}
