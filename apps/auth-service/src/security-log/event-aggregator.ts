import { RequestContext } from '../common/request-context';
import { SecurityEventInput } from './security-event';

const MINUTE_MS = 60_000;

/** One aggregated row to write: the first event of its minute, with `details.count` and the time of the first. */
export interface ClosedAggregate {
  event: SecurityEventInput;
  context: RequestContext;
  createdAt: Date;
}

interface OpenAggregate extends ClosedAggregate {
  minute: number;
  count: number;
}

/**
 * SPEC §5: `rate_limited` and `login_failure` with `reason: locked` are one row per client,
 * identifier and minute, with a count, so that a flood does not become a flood of writes. Events of
 * the same type, client, identifier and details within a clock minute add to one open aggregate;
 * an aggregate closes (becomes a row) when its minute has passed, at shutdown, or, beyond `maxOpen`
 * open aggregates (a flood from many clients), oldest first, so that memory stays bounded.
 */
export class EventAggregator {
  private readonly open = new Map<string, OpenAggregate>();

  constructor(private readonly maxOpen: number) {}

  /** Returns the aggregates this addition pushed out (when over `maxOpen`). */
  add(event: SecurityEventInput, context: RequestContext, now = new Date()): ClosedAggregate[] {
    const minute = Math.floor(now.getTime() / MINUTE_MS);
    const key = JSON.stringify([event.type, event.identifier ?? null, context.ip, event.details ?? null, minute]);
    const current = this.open.get(key);
    if (current) {
      current.count += 1;
      return [];
    }
    this.open.set(key, { event, context, createdAt: now, minute, count: 1 });
    const pushedOut: ClosedAggregate[] = [];
    for (const [oldestKey, oldest] of this.open) {
      if (this.open.size <= this.maxOpen) break;
      this.open.delete(oldestKey);
      pushedOut.push(closed(oldest));
    }
    return pushedOut;
  }

  /** The aggregates of minutes before `now`'s (all of them when `all`), removed from the open set. */
  close(now = new Date(), all = false): ClosedAggregate[] {
    const minute = Math.floor(now.getTime() / MINUTE_MS);
    const done: ClosedAggregate[] = [];
    for (const [key, aggregate] of this.open) {
      if (!all && aggregate.minute >= minute) continue;
      this.open.delete(key);
      done.push(closed(aggregate));
    }
    return done;
  }
}

function closed(aggregate: OpenAggregate): ClosedAggregate {
  const { event, context, createdAt, count } = aggregate;
  return { event: { ...event, details: { ...event.details, count } }, context, createdAt };
}
