import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import type { ClientContext } from '../sessions/sessions.service';
import { AccessTokenGuard } from './access-token.guard';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto, UserResponseDto } from './dto/token-response.dto';
import { Claims, Client } from './request-context.decorators';

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @HttpCode(201)
  async register(@Body() dto: RegisterDto): Promise<UserResponseDto> {
    return { user: await this.auth.register(dto) };
  }

  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Client() client: ClientContext): Promise<TokenResponseDto> {
    return this.auth.login(dto, client);
  }

  @Get('me')
  @UseGuards(AccessTokenGuard)
  async me(@Claims() claims: AccessTokenClaims): Promise<UserResponseDto> {
    return { user: await this.auth.me(claims.sub) };
  }
}
