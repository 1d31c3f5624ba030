import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createExampleApi } from '../../apps/example-api/src/app.factory';
import { loadExampleConfig } from '../../apps/example-api/src/config';
import { RunningService } from './auth-service';

/** The example API, in process on port 0, trusting `auth` through its JWKS (and its feed, when `env` says so). */
export async function startExampleApi(auth: RunningService, env: Record<string, string> = {}): Promise<{ url: string; app: NestFastifyApplication }> {
  const config = loadExampleConfig({
    PORT: '0',
    AUTH_ISSUER: auth.config.tokens.issuer,
    AUTH_AUDIENCE: auth.config.tokens.audience[0],
    AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
    ...env,
  });
  const app = await createExampleApi(config, ['error']);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: await app.getUrl().then((u) => u.replace('[::1]', '127.0.0.1')), app };
}
