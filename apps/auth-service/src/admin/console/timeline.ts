/**
 * The timeline above the event table: attack-shaped events per bucket (GET /api/admin/security-logs/stats),
 * drawn by uPlot on a canvas. uPlot sets its few styles through the CSSOM (element.style), which the
 * console's `style-src 'self'` allows, and its stylesheet is served as an asset: the CSP stays as it is.
 * The canvas is hidden from assistive technology; a summary sentence and a table say the same in text.
 */
import uPlot from 'uplot';
import { Api, ApiError, LogFilters, SessionEnded, Stats } from './api.js';
import { byId, formatTime, h } from './dom.js';

/** The series, in drawing order; their colours match the legend's swatches in styles.css. */
export const TIMELINE_SERIES = [
  { type: 'login_failure', label: 'Login failures', stroke: '#b42318' },
  { type: 'account_locked', label: 'Lockouts', stroke: '#8a5a00' },
  { type: 'rate_limited', label: 'Rate limits', stroke: '#2454d6' },
  { type: 'refresh_token_reuse_detected', label: 'Reuse detections', stroke: '#6b2fb3' },
] as const;

/** Tick steps of the count axis. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

const STEP_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const RANGE_MS: Record<string, number> = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export class Timeline {
  private readonly chartBox = byId('timeline-chart');
  private readonly rangeSelect = byId<HTMLSelectElement>('timeline-range');
  private readonly bucketSelect = byId<HTMLSelectElement>('timeline-bucket');
  private readonly info = byId('timeline-info');
  private readonly error = byId('timeline-error');
  private readonly tableBody = byId<HTMLTableSectionElement>('timeline-body');
  private readonly caption = byId('timeline-caption');
  private plot: uPlot | null = null;
  private filters: LogFilters = { event_type: [] };
  private seq = 0;

  constructor(private readonly api: Api) {
    this.rangeSelect.addEventListener('change', () => void this.load());
    this.bucketSelect.addEventListener('change', () => void this.load());
    byId('timeline-refresh').addEventListener('click', () => void this.load());
    window.addEventListener('resize', () => this.plot?.setSize(this.size()));
  }

  /** Follows the table's user, identifier and IP filters; the range and bucket are the timeline's own. */
  show(filters: LogFilters): Promise<void> {
    this.filters = { event_type: [], user_id: filters.user_id, identifier: filters.identifier, ip: filters.ip };
    return this.load();
  }

  reset(): void {
    this.plot?.destroy();
    this.plot = null;
    this.tableBody.replaceChildren();
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    const to = new Date();
    // From the first whole bucket: the last 24 hours per minute are then exactly 1,440 buckets.
    const step = STEP_MS[this.bucketSelect.value] ?? STEP_MS.hour;
    const from = new Date(Math.ceil((to.getTime() - (RANGE_MS[this.rangeSelect.value] ?? RANGE_MS['24h'])) / step) * step);
    this.chartBox.setAttribute('aria-busy', 'true');
    this.error.textContent = '';
    try {
      const filters = { ...this.filters, event_type: TIMELINE_SERIES.map((s) => s.type) };
      const stats = await this.api.stats(filters, this.bucketSelect.value, from.toISOString(), to.toISOString());
      if (seq === this.seq) this.render(stats);
    } catch (error) {
      if (error instanceof SessionEnded || seq !== this.seq) return;
      this.error.textContent = error instanceof ApiError ? error.describe() : 'Could not load the timeline.';
    } finally {
      if (seq === this.seq) this.chartBox.removeAttribute('aria-busy');
    }
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.chartBox.clientWidth), height: 220 };
  }

  private render(stats: Stats): void {
    const xs = stats.items.map((item) => Date.parse(item.start) / 1000);
    const columns = TIMELINE_SERIES.map((s) => stats.items.map((item) => item.counts[s.type] ?? 0));
    const totals = columns.map((values) => values.reduce((a, b) => a + b, 0));
    const summary = `${TIMELINE_SERIES.map((s, i) => `${totals[i]} ${s.label.toLowerCase()}`).join(', ')}, per ${stats.bucket}, from ${formatTime(stats.from)} to ${formatTime(stats.to)}`;
    this.info.textContent = summary;
    this.chartBox.setAttribute('aria-label', `Timeline: ${summary}`);
    this.chartBox.dataset.bucket = stats.bucket;
    this.chartBox.dataset.totals = TIMELINE_SERIES.map((s, i) => `${s.type}=${totals[i]}`).join(',');
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        ...this.size(),
        legend: { show: false }, // the legend below is text, with the totals
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { size: 50, incrs: COUNT_STEPS }], // whole events only: no 0.2 ticks
        series: [{}, ...TIMELINE_SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: false } }))],
      },
      [xs, ...columns],
      this.chartBox,
    );
    this.renderTable(stats, columns);
  }

  /** The text alternative: one row per bucket that has any of these events. */
  private renderTable(stats: Stats, columns: number[][]): void {
    this.caption.textContent = `Events per ${stats.bucket} (buckets with none are left out)`;
    const rows = stats.items.flatMap((item, i) => {
      if (columns.every((values) => values[i] === 0)) return [];
      const start = h('th', { class: 'mono' }, formatTime(item.start));
      start.setAttribute('scope', 'row');
      return [h('tr', {}, start, ...columns.map((values) => h('td', { class: 'num' }, String(values[i]))))];
    });
    this.tableBody.replaceChildren(...(rows.length > 0 ? rows : [h('tr', { class: 'placeholder' }, h('td', { colspan: TIMELINE_SERIES.length + 1 }, 'None of these events in this range.'))]));
  }
}
