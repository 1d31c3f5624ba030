import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Not validated as an email: any string is looked up, and an unknown one fails like a wrong password. */
export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  email: string;

  @ApiProperty({ format: 'password', maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}
