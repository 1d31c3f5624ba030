import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Not validated as an email: any string is looked up, and an unknown one fails like a wrong password. */
export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  email: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}
