import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is asking: set once per request (an onRequest hook), read where an event is recorded. */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
