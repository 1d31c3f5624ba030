// Bound of the refresh scenario on the service's framework: the work of one-statement.mjs in a bare
// Nest 11 + Fastify app (the service's versions), one controller, its body a class-validator DTO
// through the global ValidationPipe with the service's options; no hooks, plugins, guards or logs.
// Not a floor with a target: with refresh-http.mjs it splits Tessera's time per refresh into the
// job, the framework, and the rest of the service. Plain JavaScript, so the decorators are applied
// by hand (what TypeScript emits for them, the parameter types included).
// Run as a child: DATABASE_URL=postgres://… node bench/bounds/refresh-nest.mjs
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post, Req, UnauthorizedException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IsString } from 'class-validator';
import { oneStatementRefresh } from './one-statement.mjs';

const refresh = oneStatementRefresh(process.env.DATABASE_URL, 'nest');

class RefreshTokenDto {}
IsString()(RefreshTokenDto.prototype, 'refresh_token');

class RefreshController {
  async refresh(dto, request) {
    const client = { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null, requestId: String(request.id) };
    const answer = await refresh.rotate(dto.refresh_token, client);
    if (!answer) throw new UnauthorizedException('invalid_grant');
    return answer;
  }
}
const method = Object.getOwnPropertyDescriptor(RefreshController.prototype, 'refresh');
Body()(RefreshController.prototype, 'refresh', 0);
Req()(RefreshController.prototype, 'refresh', 1);
Reflect.defineMetadata('design:paramtypes', [RefreshTokenDto, Object], RefreshController.prototype, 'refresh');
HttpCode(200)(RefreshController.prototype, 'refresh', method);
Post('refresh')(RefreshController.prototype, 'refresh', method);
Controller('api/auth')(RefreshController);

class BoundModule {}
Module({ controllers: [RefreshController] })(BoundModule);

const app = await NestFactory.create(BoundModule, new FastifyAdapter(), { logger: false });
// As the service's APP_PIPE (app.module.ts), less its error factory (the bench never sends a bad body).
app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }));
await app.listen(0, '127.0.0.1');
process.stdout.write(`refresh bound (Nest) listening on http://127.0.0.1:${app.getHttpServer().address().port}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => refresh.end()).then(() => process.exit(0));
});
