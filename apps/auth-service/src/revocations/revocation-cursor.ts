import { AppError } from '../common/app-error';
import type { FeedPosition } from '../sessions/revocation-feed.service';

/**
 * The feed's cursor: opaque to pollers (base64url JSON of transaction ids and, within a full page,
 * the last row). Nothing secret is in it; a forged one can only make its holder miss or repeat rows.
 */
const MAX_XID8 = 2n ** 64n - 1n;
const DIGITS = /^\d{1,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeFeedCursor(position: FeedPosition): string {
  const json: Record<string, string> = { f: position.from.toString() };
  if (position.until !== undefined) json.u = position.until.toString();
  if (position.after) Object.assign(json, { x: position.after.xid.toString(), i: position.after.id });
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

const xid = (value: unknown): bigint | undefined =>
  typeof value === 'string' && DIGITS.test(value) && BigInt(value) <= MAX_XID8 ? BigInt(value) : undefined;

/** The position a cursor names, or undefined when it is not one this service issued. */
export function decodeFeedCursor(cursor: string): FeedPosition | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { f, u, x, i, ...rest } = json as Record<string, unknown>;
  const from = xid(f);
  if (from === undefined || Object.keys(rest).length) return undefined;
  if (u === undefined && x === undefined && i === undefined) return { from };
  const until = xid(u);
  const after = xid(x);
  if (until === undefined || after === undefined || typeof i !== 'string' || !UUID.test(i)) return undefined;
  if (!(from <= after && after < until)) return undefined;
  return { from, until, after: { xid: after, id: i } };
}

/** The position of a `cursor` query parameter (none: the whole window); 400 `validation_failed` for a bad one. */
export function feedPositionOf(cursor: string | undefined): FeedPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeFeedCursor(cursor);
  if (!position) throw new AppError('validation_failed', 'Request validation failed', [{ field: 'cursor', message: 'cursor is not one this service issued' }]);
  return position;
}
