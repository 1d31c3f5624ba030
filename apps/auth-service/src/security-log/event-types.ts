/**
 * The security events of SPEC §5 and one event as the admin API returns it. The one definition
 * the service (validation, storage) and the admin console (bundled for the browser) both import,
 * so it imports nothing and holds no logic.
 */
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

/** A row of `GET /api/admin/security-logs` (snake_case, as every member of the API). */
export interface SecurityLogItem {
  id: string;
  event_type: EventType;
  user_id: string | null;
  identifier: string | null;
  ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}
