/** Options of the revocation feed a verifier follows (SPEC §8). */
export interface RevocationFeedOptions {
  /** The issuer's `GET /api/auth/revocations` URL. */
  url: string;
  /** Milliseconds between polls while the issuer answers (default 5000, at least 100). */
  intervalMs?: number;
}

interface FeedPage {
  items: { sid: string; revoked_at: string }[];
  next_cursor: string;
}

const DEFAULT_INTERVAL_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
// Longest access-token lifetime (ACCESS_TOKEN_TTL ≤ 3600 s) plus the largest clock tolerance: a
// revoked session older than that cannot have a token any verifier still accepts.
const FORGET_AFTER_MS = (3600 + 60) * 1000;

function isFeedPage(body: unknown): body is FeedPage {
  const page = body as FeedPage | null;
  return typeof page === 'object' && page !== null && typeof page.next_cursor === 'string' && Array.isArray(page.items) &&
    page.items.every((item) => typeof item?.sid === 'string');
}

/**
 * Follows the issuer's revocation feed: one request in flight at most, the next one `intervalMs`
 * after the last answer, backing off (doubling, up to 60 s) while the issuer fails. It never makes
 * verification wait: until the feed answers, a session is simply not known as revoked, which is
 * what a JWKS-only verifier would decide anyway.
 */
export class RevocationFeed {
  private readonly revoked = new Map<string, number>(); // sid → when it was learnt (ms)
  private readonly intervalMs: number;
  private readonly url: URL;
  private cursor: string | undefined;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private closed = false;
  private lastPoll: Promise<void> = Promise.resolve();

  constructor(options: RevocationFeedOptions) {
    this.url = new URL(options.url);
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs < 100) throw new RangeError('revocations.intervalMs must be at least 100');
  }

  start(): void {
    if (!this.timer && !this.inFlight && !this.closed) this.schedule(0);
  }

  has(sid: string): boolean {
    return this.revoked.has(sid);
  }

  /** Resolves once the poll under way (if any) has ended: for tests and orderly shutdowns. */
  settled(): Promise<void> {
    return this.lastPoll;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastPoll = this.poll();
    }, delayMs);
    // A process with nothing else to do may exit: the feed alone never keeps it alive.
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.inFlight || this.closed) return;
    const controller = (this.inFlight = new AbortController());
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let ok = false;
    try {
      const url = new URL(this.url);
      if (this.cursor !== undefined) url.searchParams.set('cursor', this.cursor);
      const response = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
      const body: unknown = await response.json().catch(() => undefined);
      if (response.status === 400 && this.cursor !== undefined) {
        // A cursor the issuer no longer accepts: start over from the whole window (a repeat is harmless).
        this.cursor = undefined;
      } else if (response.ok && isFeedPage(body)) {
        this.learn(body);
        ok = true;
      }
    } catch {
      // Unreachable, timed out or aborted: back off below.
    } finally {
      clearTimeout(timeout);
      this.inFlight = undefined;
    }
    this.failures = ok ? 0 : this.failures + 1;
    this.schedule(ok ? this.intervalMs : Math.min(this.intervalMs * 2 ** this.failures, MAX_BACKOFF_MS));
  }

  private learn(page: FeedPage): void {
    const now = Date.now();
    for (const { sid } of page.items) this.revoked.set(sid, now);
    this.cursor = page.next_cursor;
    for (const [sid, learnt] of this.revoked) {
      if (now - learnt <= FORGET_AFTER_MS) break; // insertion order: the rest are newer
      this.revoked.delete(sid);
    }
  }
}
