import { AppError } from './app-error';

/** Opaque keyset cursors: base64url JSON of the last row's (created_at, id). */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ t: position.createdAt.toISOString(), id: position.id })).toString('base64url');
}

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A time PostgreSQL and Date.toISOString both handle: years 1 to 9999. */
export function inStorableRange(time: Date): boolean {
  const year = time.getUTCFullYear();
  return !Number.isNaN(time.getTime()) && year >= 1 && year <= 9999;
}

export function decodeCursor(cursor: string | undefined, idPattern: RegExp): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const { t, id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    const createdAt = new Date(typeof t === 'string' ? t : NaN);
    if (typeof id === 'string' && idPattern.test(id) && inStorableRange(createdAt) && (!/^\d+$/.test(id) || BigInt(id) <= MAX_BIGINT)) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'Request validation failed', [{ field: 'cursor', message: 'cursor is not one this service issued' }]);
}
