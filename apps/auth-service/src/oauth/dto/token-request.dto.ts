import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy, ValidationOptions } from 'class-validator';

/** RFC 6749 §3.1: a parameter sent without a value is treated as omitted. */
const emptyIsOmitted = Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

/** One string: a repeated form parameter arrives as an array, which RFC 6749 §3.1 forbids. */
function IsSingleString(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSingleString',
      validator: {
        validate: (value: unknown) => typeof value === 'string',
        defaultMessage: (args) => (Array.isArray(args?.value) ? `${args?.property} must not be repeated` : `${args?.property} must be a string`),
      },
    },
    options,
  );
}

/**
 * The RFC 6749 §6 refresh request, form-encoded or JSON. Every member is optional here so that the
 * token endpoint, not validation, says which §5.2 error applies (a missing grant_type is
 * invalid_request, another one unsupported_grant_type); members it does not know are dropped.
 */
export class TokenRequestDto {
  @emptyIsOmitted
  @IsOptional()
  @IsSingleString()
  @ApiPropertyOptional({ description: 'refresh_token' })
  grant_type?: string;

  @emptyIsOmitted
  @IsOptional()
  @IsSingleString()
  @ApiPropertyOptional({ description: 'the refresh token to rotate' })
  refresh_token?: string;

  @emptyIsOmitted
  @IsOptional()
  @IsSingleString()
  @ApiPropertyOptional({ description: 'must equal JWT_CLIENT_ID when sent' })
  client_id?: string;

  @emptyIsOmitted
  @IsOptional()
  @IsSingleString()
  @ApiPropertyOptional({ description: 'Tessera has no scopes: empty or absent' })
  scope?: string;
}

/** The handler's parameter type: an interface, so that the global pipe (which refuses unknown members) leaves it to the route's own pipe. */
export type TokenRequest = Pick<TokenRequestDto, keyof TokenRequestDto>;
