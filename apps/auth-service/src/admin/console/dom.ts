/** Small DOM helpers: text always goes in as text (never HTML), so API data cannot inject markup. */

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  type?: string;
  title?: string;
  hidden?: boolean;
  disabled?: boolean;
  colspan?: number;
  tabindex?: number;
  datetime?: string;
  dataset?: Record<string, string>;
  aria?: Record<string, string>;
  onclick?: (event: Event) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.id) node.id = props.id;
  if (props.type) node.setAttribute('type', props.type);
  if (props.title) node.title = props.title;
  if (props.hidden) node.hidden = true;
  if (props.disabled) node.setAttribute('disabled', '');
  if (props.colspan) node.setAttribute('colspan', String(props.colspan));
  if (props.tabindex !== undefined) node.tabIndex = props.tabindex;
  if (props.datetime) node.setAttribute('datetime', props.datetime);
  for (const [name, value] of Object.entries(props.dataset ?? {})) node.dataset[name] = value;
  for (const [name, value] of Object.entries(props.aria ?? {})) node.setAttribute(`aria-${name}`, value);
  if (props.onclick) node.addEventListener('click', props.onclick);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time, sortable and compact: 2025-01-31 14:05:09. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function timeElement(iso: string | null | undefined): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, formatTime(iso));
}

/** The value of a datetime-local input as an ISO instant (the input is in the browser's zone). */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

const GOOD = new Set(['login_success', 'user_registered', 'account_unlocked', 'token_refreshed']);
const BAD = new Set(['login_failure', 'refresh_failed', 'refresh_token_reuse_detected', 'account_locked', 'rate_limited']);
const NOTE = new Set(['session_revoked', 'logout_all', 'password_changed', 'signing_key_rotated', 'admin_action']);

export function eventBadge(type: string): HTMLElement {
  const tone = GOOD.has(type) ? 'good' : BAD.has(type) ? 'bad' : NOTE.has(type) ? 'note' : 'plain';
  return h('span', { class: `badge badge-${tone}` }, type);
}

/** One line for a details object: `reason=bad_password, attempts=3`. */
export function summarize(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/** Saves a Blob as a file: the Bearer header cannot ride on a plain link, so fetch, then an object URL. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { class: 'visually-hidden' });
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
