import { AppError } from '../common/app-error';
import { MAX_BUCKETS, statsWindow } from './stats-window';

describe('statsWindow', () => {
  const now = new Date('2026-03-10T12:34:56.000Z');

  it('defaults to the last 24 hours in hours, the first bucket aligned before from', () => {
    const w = statsWindow(undefined, undefined, undefined, now);
    expect(w).toMatchObject({ bucket: 'hour', step: '1 hour', from: new Date('2026-03-09T12:34:56.000Z'), to: now });
    expect(w.starts).toHaveLength(25);
    expect(w.starts[0]).toEqual(new Date('2026-03-09T12:00:00.000Z'));
    expect(w.starts[24]).toEqual(new Date('2026-03-10T12:00:00.000Z'));
  });

  it('defaults to the last hour in minutes and the last 30 days in days', () => {
    expect(statsWindow('minute', undefined, undefined, now).starts).toHaveLength(61);
    const days = statsWindow('day', undefined, '2026-03-10T00:00:00Z', now);
    expect(days.starts).toHaveLength(30);
    expect(days.starts[0]).toEqual(new Date('2026-02-08T00:00:00.000Z'));
  });

  it(`accepts exactly ${MAX_BUCKETS} buckets and refuses one more with a clear message`, () => {
    expect(statsWindow('minute', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z').starts).toHaveLength(MAX_BUCKETS);
    expect(() => statsWindow('minute', '2026-03-10T00:00:00Z', '2026-03-11T00:00:01Z')).toThrow(/1441 minute buckets, more than 1440/);
    expect(() => statsWindow('hour', '2020-01-01T00:00:00Z', '2026-01-01T00:00:00Z')).toThrow(AppError);
  });

  it('refuses a from that is not before to', () => {
    expect(() => statsWindow('hour', '2026-03-10T00:00:00Z', '2026-03-10T00:00:00Z')).toThrow(/"from" must be before "to"/);
    expect(() => statsWindow('hour', '2026-03-11T00:00:00Z', undefined, now)).toThrow(AppError);
  });
});
