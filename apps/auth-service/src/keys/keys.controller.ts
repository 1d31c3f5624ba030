import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { JwksDto } from './keys-response.dto';
import { Controller, Get, Header } from '@nestjs/common';
import { KeyStore } from './key-store.service';
// JWKS max-age: caches must learn a `next` key before it signs, so it stays shorter than the `next`
// lead time of key rotation (SPEC §7); both live in rotation.ts, whose spec checks that.
import { JWKS_MAX_AGE_SECONDS } from './rotation';

@ApiTags('discovery')
@Controller('.well-known')
export class KeysController {
  constructor(private readonly keys: KeyStore) {}

  @ApiOkResponse({ type: JwksDto })
  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  jwks() {
    return this.keys.jwks();
  }
}
