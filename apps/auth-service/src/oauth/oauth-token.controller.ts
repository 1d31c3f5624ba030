import { Body, Controller, HttpCode, Post, ValidationPipe } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { TokenResponseDto as TokenResponse } from '../auth/dto/token-response.dto';
import { OAuthErrorResponseDto } from './dto/oauth-error-response.dto';
import { RateLimit } from '../abuse/rate-limit.guard';
import { Client } from '../auth/request-context.decorators';
import { AppError } from '../common/app-error';
import type { RequestContext } from '../common/request-context';
import { validationDetails } from '../common/validation-details';
import { TokenRequest, TokenRequestDto } from './dto/token-request.dto';
import { OAuthTokenService } from './oauth-token.service';

/**
 * This route's own validation: like the global pipe, except that unknown members are dropped, not
 * refused (RFC 6749 §3.2). The global pipe skips the body because its declared type is an interface.
 */
const TOKEN_REQUEST_PIPE = new ValidationPipe({
  expectedType: TokenRequestDto,
  whitelist: true,
  forbidNonWhitelisted: false,
  transform: true,
  stopAtFirstError: true,
  exceptionFactory: (errors) => new AppError('validation_failed', 'Request validation failed', validationDetails(errors)),
});

/** RFC 6749 token endpoint for standard OAuth clients (SPEC §2); errors in §5.2's shape (common/oauth-error-shape.ts). */
@ApiTags('oauth')
@Controller('oauth')
export class OAuthTokenController {
  constructor(private readonly tokens: OAuthTokenService) {}

  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponse })
  @ApiResponse({ status: 400, description: 'RFC 6749 §5.2: invalid_request, invalid_grant (with reason), unsupported_grant_type, invalid_scope', type: OAuthErrorResponseDto })
  @ApiResponse({ status: 401, description: 'invalid_client (WWW-Authenticate)', type: OAuthErrorResponseDto })
  @ApiResponse({ status: 429, description: 'rate_limited (Retry-After), with error_description', type: OAuthErrorResponseDto })
  @Post('token')
  @HttpCode(200)
  @RateLimit('refresh')
  token(@Body(TOKEN_REQUEST_PIPE) request: TokenRequest, @Client() client: RequestContext): Promise<TokenResponse> {
    return this.tokens.grant(request, client);
  }
}
