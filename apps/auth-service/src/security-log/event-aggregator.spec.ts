import { EventAggregator } from './event-aggregator';

const client = (ip: string) => ({ requestId: `r-${ip}`, ip, userAgent: null });
const at = (iso: string) => new Date(iso);

describe('EventAggregator (SPEC §5)', () => {
  it('makes one row with a count per type, client, identifier and minute', () => {
    const aggregator = new EventAggregator(100);
    const locked = { type: 'login_failure' as const, identifier: 'a@x.io', details: { reason: 'locked' } };
    for (let i = 0; i < 3; i++) aggregator.add(locked, client('10.0.0.1'), at('2026-01-01T00:00:10Z'));
    aggregator.add(locked, client('10.0.0.2'), at('2026-01-01T00:00:20Z'));
    aggregator.add({ ...locked, identifier: 'b@x.io' }, client('10.0.0.1'), at('2026-01-01T00:00:30Z'));
    aggregator.add(locked, client('10.0.0.1'), at('2026-01-01T00:01:05Z'));
    expect(aggregator.close(at('2026-01-01T00:00:59Z'))).toEqual([]);
    const rows = aggregator.close(at('2026-01-01T00:01:10Z'));
    expect(rows.map((r) => [r.context.ip, r.event.identifier, r.event.details?.count])).toEqual([
      ['10.0.0.1', 'a@x.io', 3],
      ['10.0.0.2', 'a@x.io', 1],
      ['10.0.0.1', 'b@x.io', 1],
    ]);
    expect(rows[0].createdAt).toEqual(at('2026-01-01T00:00:10Z'));
    expect(rows[0].event.details).toEqual({ reason: 'locked', count: 3 });
    expect(aggregator.close(at('2026-01-01T00:01:10Z'), true).map((r) => r.event.details?.count)).toEqual([1]);
  });

  it('closes the oldest aggregates early beyond its bound', () => {
    const aggregator = new EventAggregator(2);
    const limited = { type: 'rate_limited' as const, details: { limit: 'login' } };
    expect(aggregator.add(limited, client('10.0.0.1'))).toEqual([]);
    expect(aggregator.add(limited, client('10.0.0.2'))).toEqual([]);
    expect(aggregator.add(limited, client('10.0.0.3')).map((r) => r.context.ip)).toEqual(['10.0.0.1']);
    expect(aggregator.close(new Date(), true).map((r) => r.context.ip)).toEqual(['10.0.0.2', '10.0.0.3']);
  });
});
