/**
 * One run at a time: callers that arrive while a run is in flight share its promise. Refresh
 * tokens rotate, so two refreshes of one token would look like theft (SPEC §4): every concurrent
 * 401 of a page must wait for the same refresh.
 */
export class SingleFlight<T> {
  private inFlight: Promise<T> | null = null;

  run(task: () => Promise<T>): Promise<T> {
    if (this.inFlight) return this.inFlight;
    // The task starts on a microtask, so that it always settles after `inFlight` is set.
    const flight: Promise<T> = Promise.resolve()
      .then(task)
      .finally(() => {
        if (this.inFlight === flight) this.inFlight = null;
      });
    this.inFlight = flight;
    return flight;
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }
}
