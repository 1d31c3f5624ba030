/** Named one-shot timers that never keep a Node process alive. */
export class Timers {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  set(name: string, delayMs: number, callback: () => void): void {
    this.cancel(name);
    // setTimeout's delay is a 32-bit integer: a longer one would fire at once.
    const timer = setTimeout(() => {
      this.pending.delete(name);
      callback();
    }, Math.min(delayMs, 2 ** 31 - 1));
    (timer as { unref?: () => void }).unref?.();
    this.pending.set(name, timer);
  }

  cancel(name: string): void {
    const timer = this.pending.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.delete(name);
  }

  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
