/**
 * Coordination between the tabs (and workers) of one origin: Web Locks decide which tab spends
 * the refresh token, BroadcastChannel hands the result to the others. Both are named after the
 * issuer and the prefix, so two clients of one page never cross. Where either is missing (Node,
 * old browsers), the client still works in its own tab: the lock is then only this page's.
 */

/** The part of `navigator.locks` (Web Locks API) the client uses. */
interface LockManagerLike {
  request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses. */
interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  /** Node's channels keep the process alive unless unref'd. */
  unref?(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

type ChannelConstructor = new (name: string) => ChannelLike;

export function coordinationName(issuer: string, prefix: string): string {
  return `tessera-client:${issuer}:${prefix}`;
}

function lockManager(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : null;
}

/** An exclusive lock across the tabs of this origin (Web Locks), or within this page where there is none. */
export class TabLock {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly locks: LockManagerLike | null = lockManager(),
  ) {}

  get shared(): boolean {
    return this.locks !== null;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.locks) return this.locks.request(this.name, { mode: 'exclusive' }, task);
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Messages between the tabs of one origin; a no-op where BroadcastChannel does not exist. */
export class TabChannel<Message> {
  private readonly channel: ChannelLike | null;

  constructor(
    name: string,
    onMessage: (message: Message) => void,
    ctor: ChannelConstructor | null = (globalThis as { BroadcastChannel?: ChannelConstructor }).BroadcastChannel ?? null,
  ) {
    this.channel = ctor ? new ctor(name) : null;
    if (this.channel) {
      this.channel.onmessage = (event) => onMessage(event.data as Message);
      this.channel.unref?.();
    }
  }

  get shared(): boolean {
    return this.channel !== null;
  }

  post(message: Message): void {
    this.channel?.postMessage(message);
  }

  close(): void {
    if (this.channel) {
      this.channel.onmessage = null;
      this.channel.close();
    }
  }
}
