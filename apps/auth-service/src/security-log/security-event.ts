import type { EventType } from './event-types';

/** The event types live in event-types.ts, shared with the admin console. */
export { EVENT_TYPES } from './event-types';
export type { EventType } from './event-types';

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
