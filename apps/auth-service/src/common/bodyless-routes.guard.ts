import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import { unknownFieldsError } from './validation-details';

/**
 * Unknown members are refused everywhere (SPEC §2): a route with a `@Body()` DTO has validation do
 * it; on a route that takes no body at all, any member is unknown, and this refuses it. Whether a
 * handler takes a body is read once from Nest's route metadata.
 *
 * A global guard rather than an interceptor: with no interceptor at all, Nest answers a route
 * without wrapping its handler in RxJS observables and async resources (measured on GET
 * /api/auth/me). Being global, it runs before a route's own guards: a body sent to a bodyless
 * route is 400 whether or not the request is authenticated.
 */
@Injectable()
export class BodylessRoutesGuard implements CanActivate {
  private readonly takesBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http' && !this.handlerTakesBody(context)) {
      const body: unknown = context.switchToHttp().getRequest<FastifyRequest>().body;
      const fields = body !== null && typeof body === 'object' ? Object.keys(body) : [];
      if (fields.length > 0) throw unknownFieldsError(fields);
    }
    return true;
  }

  private handlerTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      takes = Object.keys(args).some((key) => Number(key.split(':')[0]) === RouteParamtypes.BODY);
      this.takesBody.set(handler, takes);
    }
    return takes;
  }
}
