import { ApiBearerAuth, ApiConsumes, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { AccessTokenClaims } from '@tessera/verifier';
import { Claims } from '@tessera/verifier/nest';
import { RateLimit } from '../abuse/rate-limit.guard';
import type { RequestContext } from '../common/request-context';
import { AccessTokenGuard } from './access-token.guard';
import { CookieTransport } from './cookie-transport';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { RegisterDto } from './dto/register.dto';
import { RevokeDto } from './dto/revoke.dto';
import { TokenResponseDto, UserResponseDto } from './dto/token-response.dto';
import { Client } from './request-context.decorators';
import { LoginService } from './login.service';
import { PasswordService } from './password.service';
import { RegistrationService } from './registration.service';
import { UsersService } from '../users/users.service';
import { TokenLifecycleService } from './token-lifecycle.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly logins: LoginService,
    private readonly passwords: PasswordService,
    private readonly users: UsersService,
    private readonly lifecycle: TokenLifecycleService,
  ) {}

  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiErrors(400, 409, 429)
  @Post('register')
  @HttpCode(201)
  @RateLimit('register')
  async register(@Body() dto: RegisterDto, @Client() client: RequestContext): Promise<UserResponseDto> {
    return { user: await this.registration.register(dto, client) };
  }

  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrors(400, 401, 429)
  @Post('login')
  @HttpCode(200)
  @CookieTransport('issue')
  @RateLimit('login')
  login(@Body() dto: LoginDto, @Client() client: RequestContext): Promise<TokenResponseDto> {
    return this.logins.login(dto, client);
  }

  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrors(400, 401, 429)
  @Post('refresh')
  @HttpCode(200)
  @CookieTransport('rotate')
  @RateLimit('refresh')
  refresh(@Body() dto: RefreshTokenDto, @Client() client: RequestContext): Promise<TokenResponseDto> {
    return this.lifecycle.refresh(dto.refresh_token, client);
  }

  @ApiNoContentResponse({ description: 'the session of that refresh token is revoked (an unknown or used token: 204 too)' })
  @ApiErrors(400)
  @Post('logout')
  @HttpCode(204)
  @CookieTransport('end')
  logout(@Body() dto: RefreshTokenDto, @Client() client: RequestContext): Promise<void> {
    return this.lifecycle.logout(dto.refresh_token, client);
  }

  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'every session of the user is revoked' })
  @ApiErrors(401)
  @Post('logout-all')
  @HttpCode(204)
  @UseGuards(AccessTokenGuard)
  logoutAll(@Claims() claims: AccessTokenClaims, @Client() client: RequestContext): Promise<void> {
    return this.lifecycle.logoutAll(claims.sub, client);
  }

  /** RFC 7009: 200 whatever the token (JSON or form-encoded). */
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({ description: 'RFC 7009: 200 whatever the token', schema: { type: 'object', additionalProperties: false } })
  @ApiErrors(400)
  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() dto: RevokeDto, @Client() client: RequestContext): Promise<Record<string, never>> {
    await this.lifecycle.revoke(dto.token, client);
    return {};
  }

  @ApiBearerAuth()
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrors(401)
  @Get('me')
  @UseGuards(AccessTokenGuard)
  async me(@Claims() claims: AccessTokenClaims): Promise<UserResponseDto> {
    return { user: await this.users.profile(claims.sub) };
  }

  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'changed; every other session is revoked' })
  @ApiErrors(400, 401)
  @Post('password')
  @HttpCode(204)
  @UseGuards(AccessTokenGuard)
  changePassword(@Claims() claims: AccessTokenClaims, @Body() dto: ChangePasswordDto, @Client() client: RequestContext): Promise<void> {
    return this.passwords.changePassword(claims.sub, claims.sid, dto, client);
  }
}
