/** Every event type of SPEC §5. */
export const EVENT_TYPES = [
  'user_registered',
  'login_success',
  'login_failure',
  'account_locked',
  'account_unlocked',
  'token_refreshed',
  'refresh_failed',
  'refresh_token_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'signing_key_rotated',
  'rate_limited',
  'admin_action',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What a flow says happened. Client address, user agent and request id come from the request's RequestContext. */
export interface SecurityEventInput {
  type: EventType;
  userId?: string | null;
  identifier?: string | null;
  sessionId?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
}

/** A row as stored (and as the chain covers it). */
export interface SecurityEventRecord {
  eventType: EventType;
  userId: string | null;
  identifier: string | null;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}
