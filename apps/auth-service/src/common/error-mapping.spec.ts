import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { mapError } from './error-mapping';

describe('mapError', () => {
  it('keeps an AppError code, its details and extra members', () => {
    const mapped = mapError(new AppError('invalid_grant', 'Refresh token reused', undefined, { reason: 'reused' }));
    expect(mapped.body).toEqual({ statusCode: 401, error: 'invalid_grant', message: 'Refresh token reused', reason: 'reused' });
    expect(mapped.unexpected).toBe(false);
  });

  it('adds the Bearer challenge to unauthorized', () => {
    expect(mapError(AppError.unauthorized()).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(mapError(AppError.unauthorized('bad', true)).headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  });

  it.each([
    [new NotFoundException('Cannot GET /x'), 404, 'not_found', 'Not found'],
    [new HttpException('too big', 413), 413, 'payload_too_large', 'Request body is larger than 16 KiB'],
    [new HttpException('bad type', 415), 415, 'unsupported_media_type', 'Content-Type must be application/json'],
    [new BadRequestException('Bad thing'), 400, 'validation_failed', 'Bad thing'],
  ])('maps %p to %i %s', (error, status, code, message) => {
    expect(mapError(error).body).toEqual({ statusCode: status, error: code, message });
  });

  it('maps text the database cannot store to 400, whether TypeORM wrapped the error or node-postgres raised it (prepared statements)', () => {
    const raw = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const wrapped = new QueryFailedError('SELECT 1', [], raw);
    for (const error of [raw, wrapped]) expect(mapError(error).body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'Request holds characters that cannot be stored' });
  });

  it('turns an unreachable database into 503 unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const query = new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection'), { code: '57P01' }));
    for (const error of [refused, query, new Error('Connection terminated unexpectedly')]) {
      expect(mapError(error).body).toEqual({ statusCode: 503, error: 'unavailable', message: 'Service temporarily unavailable' });
    }
  });

  it('turns the bounds on waiting for the database into 503 unavailable', () => {
    const cancelled = new QueryFailedError('UPDATE x', [], Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
    const lock = new QueryFailedError('SELECT … FOR UPDATE', [], Object.assign(new Error('could not obtain lock'), { code: '55P03' }));
    const idle = new QueryFailedError('COMMIT', [], Object.assign(new Error('terminating connection due to idle-in-transaction timeout'), { code: '25P03' }));
    const abandoned = new QueryFailedError('SELECT 1', [], new Error('Query read timeout'));
    for (const error of [cancelled, lock, idle, abandoned]) expect(mapError(error).body).toMatchObject({ statusCode: 503, error: 'unavailable' });
  });

  it('hides anything else behind a generic 500', () => {
    const mapped = mapError(new QueryFailedError('SELECT secret FROM users', [], new Error('syntax error at or near "FROM"')));
    expect(mapped.body).toEqual({ statusCode: 500, error: 'internal_error', message: 'Internal server error' });
    expect(mapped.unexpected).toBe(true);
  });
});
