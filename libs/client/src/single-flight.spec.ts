import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one run between the callers that arrive while it is in flight', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    let release!: () => void;
    const task = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = () => resolve(runs)));
    };
    const callers = [flight.run(task), flight.run(task), flight.run(task)];
    expect(flight.busy).toBe(true);
    await Promise.resolve();
    release();
    expect(await Promise.all(callers)).toEqual([1, 1, 1]);
    expect(runs).toBe(1);
    expect(flight.busy).toBe(false);
  });

  it('starts a new run after the previous one settled, failed ones included', async () => {
    const flight = new SingleFlight<string>();
    await expect(flight.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(flight.busy).toBe(false);
    await expect(flight.run(async () => 'second')).resolves.toBe('second');
  });

  it('is not left busy by a task that throws before returning a promise', async () => {
    const flight = new SingleFlight<string>();
    await expect(
      flight.run(() => {
        throw new Error('at once');
      }),
    ).rejects.toThrow('at once');
    expect(flight.busy).toBe(false);
  });
});
