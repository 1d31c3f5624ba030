/**
 * Who is asking: the request id, client address and user agent that every security event of a
 * request carries. Controllers read it with the `@Client()` decorator and pass it down explicitly:
 * an AsyncLocalStorage would do it implicitly, but its promise hooks cost every request a few
 * percent of CPU (measured on the refresh path, bench/refresh.mjs).
 */
export interface RequestContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** Events with no request behind them: start-up (bootstrap admin, first signing key), schedules. */
export const NO_REQUEST: RequestContext = Object.freeze({ requestId: null, ip: null, userAgent: null });

/** An authenticated caller acting on others (an admin): who, and from which request. */
export interface Actor {
  id: string;
  context: RequestContext;
}
