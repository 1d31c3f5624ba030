import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { AccessTokenGuard } from '../apps/auth-service/src/auth/access-token.guard';
import { RunningService, startAuthService } from './support/auth-service';
import { call } from './support/http';

interface Operation {
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme: string }> } };

/**
 * Every route Nest registers, from the controllers' own metadata (what Nest's router explorer reads),
 * as "METHOD /path/{param}"; each is checked to be in Fastify's table too, so the list is what is served.
 */
function nestRoutes(service: RunningService): { route: string; bearer: boolean }[] {
  const fastify = service.app.getHttpAdapter().getInstance();
  const routes: { route: string; bearer: boolean }[] = [];
  for (const module of service.app.get(ModulesContainer).values()) {
    for (const controller of module.controllers.values()) {
      const type = controller.metatype as { prototype: Record<string, unknown> } | null;
      if (!type) continue;
      const base = Reflect.getMetadata(PATH_METADATA, type) as string;
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = type.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const url = `/${[base, path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '').join('/')}`;
        expect([url, fastify.hasRoute({ method, url })]).toEqual([url, true]);
        const guards = [...((Reflect.getMetadata(GUARDS_METADATA, type) as unknown[]) ?? []), ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? [])];
        routes.push({ route: `${method} ${url.replace(/:(\w+)/g, '{$1}')}`, bearer: guards.includes(AccessTokenGuard) });
      }
    }
  }
  return routes;
}

describe('OpenAPI document (GET /docs/json)', () => {
  let service: RunningService;
  let doc: OpenApi;
  beforeAll(async () => {
    service = await startAuthService();
    const res = await call<OpenApi>(service.url, 'GET', '/docs/json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => service?.close());

  it('is OpenAPI 3 with the Bearer scheme and the shared error shape', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(JSON.stringify(doc.components)).toContain('"ErrorResponseDto"');
  });

  it('documents every route the service serves: its success and error answers, and the Bearer scheme where it needs a token', () => {
    const routes = nestRoutes(service);
    const served = routes.map((r) => r.route);
    // The table really was read: the routes of every controller are in it.
    expect(served).toEqual(expect.arrayContaining(['POST /api/auth/login', 'GET /api/admin/users/{id}', 'GET /metrics', 'GET /.well-known/jwks.json', 'GET /health/ready', 'GET /admin']));
    const missing = served.filter((route) => {
      const [method, path] = route.split(' ');
      return doc.paths[path]?.[method.toLowerCase()] === undefined;
    });
    expect(missing).toEqual([]);
    for (const route of served) {
      const [method, path] = route.split(' ');
      const op = doc.paths[path][method.toLowerCase()];
      const errorRef = op.responses['500']?.content?.['application/json']?.schema.$ref;
      expect([route, errorRef]).toEqual([route, '#/components/schemas/ErrorResponseDto']);
      // Documented, not merely listed: swagger lists an undecorated route too, with a bare `200: { description: '' }`.
      const documented = Object.entries(op.responses).some(([status, answer]) => /^2\d\d$/.test(status) && (answer.content !== undefined || (answer as { description?: string }).description !== ''));
      expect([route, documented, (op as { tags?: string[] }).tags?.length ?? 0]).toEqual([route, true, 1]);
    }
    for (const { route, bearer } of routes) {
      const [method, path] = route.split(' ');
      expect([route, doc.paths[path][method.toLowerCase()].security]).toEqual([route, bearer ? [{ bearer: [] }] : route === 'GET /metrics' ? [{ metrics: [] }] : undefined]);
    }
  });

  it('gives bodies, success types and the Bearer requirement where the routes have them', () => {
    const op = (method: string, path: string) => doc.paths[path][method];
    expect(op('post', '/api/auth/login').requestBody?.content['application/json'].schema.$ref).toBe('#/components/schemas/LoginDto');
    expect(op('post', '/api/auth/login').responses['200'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/TokenResponseDto');
    expect(op('post', '/api/auth/login').responses['401'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponseDto');
    expect(op('put', '/api/admin/users/{id}/roles').requestBody?.content['application/json'].schema.$ref).toBe('#/components/schemas/SetRolesDto');
    expect(op('post', '/api/auth/revoke').requestBody?.content).toHaveProperty(['application/x-www-form-urlencoded']);
    for (const [method, path] of [['get', '/api/auth/me'], ['post', '/api/auth/logout-all'], ['get', '/api/auth/sessions'], ['get', '/api/admin/users'], ['get', '/api/admin/security-logs']]) {
      expect([path, op(method, path).security]).toEqual([path, [{ bearer: [] }]]);
    }
    expect(op('post', '/api/auth/login').security).toBeUndefined();
    const schemas = (doc.components as unknown as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;
    expect(Object.keys(schemas.LoginDto.properties).sort()).toEqual(['email', 'password']);
    expect(Object.keys(schemas.TokenResponseDto.properties).sort()).toEqual(['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type', 'user']);
    expect(Object.keys(schemas.ErrorResponseDto.properties)).toEqual(expect.arrayContaining(['statusCode', 'error', 'message', 'details', 'request_id']));
  });

  it('serves the UI under a CSP of its own, and keeps the strict one elsewhere', async () => {
    const ui = await call(service.url, 'GET', '/docs');
    expect(ui.status).toBe(200);
    const policy = ui.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    expect((await call(service.url, 'GET', '/health/live')).headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });
});
