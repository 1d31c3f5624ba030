import { AppError } from '../common/app-error';

export const STATS_BUCKETS = ['minute', 'hour', 'day'] as const;
export type StatsBucket = (typeof STATS_BUCKETS)[number];

/** At most this many buckets per answer: a day of minutes, two months of hours, ~4 years of days. */
export const MAX_BUCKETS = 1440;

const STEP_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** The window when `from` is not given: what one screen of that bucket shows. */
const DEFAULT_SPAN_MS: Record<StatsBucket, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };

export interface StatsWindow {
  bucket: StatsBucket;
  /** The interval the database bins by. */
  step: string;
  from: Date;
  to: Date;
  /** The start of every bucket, the first one aligned (UTC, from the epoch) at or before `from`. */
  starts: Date[];
}

/**
 * The buckets of a stats request: `to` defaults to now, `from` to one screen before `to`; `from`
 * must be before `to`, and the range may hold at most MAX_BUCKETS buckets.
 */
export function statsWindow(bucket: StatsBucket = 'hour', from: string | undefined, to: string | undefined, now = new Date()): StatsWindow {
  const stepMs = STEP_MS[bucket];
  const end = to ? new Date(to) : now;
  const start = from ? new Date(from) : new Date(end.getTime() - DEFAULT_SPAN_MS[bucket]);
  if (start.getTime() >= end.getTime()) {
    throw new AppError('validation_failed', '"from" must be before "to"', [{ field: from ? 'from' : 'to', message: 'from must be before to' }]);
  }
  const first = Math.floor(start.getTime() / stepMs) * stepMs;
  const count = Math.ceil((end.getTime() - first) / stepMs);
  if (count > MAX_BUCKETS) {
    const message = `The range holds ${count} ${bucket} buckets, more than ${MAX_BUCKETS}: choose a larger bucket or a shorter range`;
    throw new AppError('validation_failed', message, [{ field: 'bucket', message }]);
  }
  const starts = Array.from({ length: count }, (_, i) => new Date(first + i * stepMs));
  return { bucket, step: `1 ${bucket}`, from: start, to: end, starts };
}
