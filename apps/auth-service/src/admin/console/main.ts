/** The admin console: sign-in, the timeline, the security-event table (filters, pages, export), chain status, users. */
import { EVENT_TYPES, SecurityLogItem as LogItem } from '../../security-log/event-types';
import { Api, ApiError, LogFilters, SessionEnded } from './api.js';
import { byId, download, eventBadge, h, localInputToIso, shortId, summarize, timeElement } from './dom.js';
import { Timeline } from './timeline.js';
import { UserPanel } from './user-panel.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IP = /^[0-9a-fA-F.:]+$/;

const api = new Api();
const timeline = new Timeline(api);

const loginView = byId('login-view');
const appView = byId('app-view');
const sessionBar = byId('session-bar');
const loginForm = byId<HTMLFormElement>('login-form');
const loginError = byId('login-error');
const filtersForm = byId<HTMLFormElement>('filters');
const filtersError = byId('filters-error');
const typesList = byId('types-list');
const eventsBody = byId<HTMLTableSectionElement>('events-body');
const eventsTable = byId('events-table');
const eventsError = byId('events-error');
const pageInfo = byId('page-info');
const pageNumber = byId('page-number');
const prevButton = byId<HTMLButtonElement>('prev-page');
const nextButton = byId<HTMLButtonElement>('next-page');
const limitSelect = byId<HTMLSelectElement>('limit');
const chain = byId('chain');
const chainText = byId('chain-text');

/** Where the table is: the filters applied, and the cursors of the pages before this one. */
const state = {
  filters: { event_type: [] } as LogFilters,
  /** cursors[i] opens page i + 1 (null: the first page). */
  cursors: [null] as (string | null)[],
  next: null as string | null,
  loadSeq: 0,
};

const panel = new UserPanel(api, {
  showEvents: (userId) => {
    resetFilterInputs();
    byId<HTMLInputElement>('f-user').value = userId;
    applyFilters();
  },
  changed: () => {
    void loadPage();
  },
  confirm,
});

// ---- views -------------------------------------------------------------------------------------

function showLogin(message = ''): void {
  appView.hidden = true;
  sessionBar.hidden = true;
  loginView.hidden = false;
  loginError.textContent = message;
  eventsBody.replaceChildren();
  panel.reset();
  timeline.reset();
  byId<HTMLInputElement>('login-password').value = '';
  byId<HTMLInputElement>('login-email').focus();
}

function showApp(): void {
  loginView.hidden = true;
  appView.hidden = false;
  sessionBar.hidden = false;
  byId('whoami').textContent = api.user?.email ?? '';
  state.cursors = [null];
  void loadPage();
  void timeline.show(state.filters);
  void checkChain();
}

const ENDED: Record<string, string> = {
  logout: 'You are signed out (in another tab).',
  revoked: 'Your session was revoked: please sign in again.',
  reused: 'Your session was ended because its refresh token was used twice: please sign in again.',
  expired: 'Your session has expired: please sign in again.',
  session_expired: 'Your session has expired: please sign in again.',
  forbidden: 'This account is no longer an admin.',
};

api.onSessionEnded = (reason) => showLogin(ENDED[reason] ?? 'Your session has ended: please sign in again.');

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = byId<HTMLInputElement>('login-email').value.trim();
  const password = byId<HTMLInputElement>('login-password').value;
  if (!email || !password) {
    loginError.textContent = 'Enter your email and password.';
    return;
  }
  const submit = byId<HTMLButtonElement>('login-submit');
  submit.disabled = true;
  loginError.textContent = '';
  try {
    await api.login(email, password);
    showApp();
  } catch (error) {
    loginError.textContent = error instanceof ApiError ? error.describe() : 'Sign-in failed: is the service reachable?';
  } finally {
    submit.disabled = false;
  }
});

byId('sign-out').addEventListener('click', async () => {
  await api.logout();
  showLogin('You are signed out.');
});

// ---- chain status ------------------------------------------------------------------------------

async function checkChain(): Promise<void> {
  chain.className = 'chain chain-unknown';
  chainText.textContent = 'Chain: checking…';
  try {
    const result = await api.verify();
    chain.className = result.ok ? 'chain chain-ok' : 'chain chain-bad';
    chainText.textContent = result.ok
      ? `Chain verified · ${result.checked} event${result.checked === 1 ? '' : 's'}`
      : `Chain BROKEN at event ${result.first_bad_id ?? '?'} (${result.checked} checked)`;
  } catch (error) {
    if (error instanceof SessionEnded) return;
    chain.className = 'chain chain-unknown';
    chainText.textContent = `Chain: could not verify (${error instanceof ApiError ? error.message : 'request failed'})`;
  }
}

byId('chain-recheck').addEventListener('click', () => void checkChain());

// ---- filters -----------------------------------------------------------------------------------

for (const type of EVENT_TYPES) {
  const input = h('input', { type: 'checkbox', id: `type-${type}` });
  input.name = 'event_type';
  input.value = type;
  input.addEventListener('change', updateTypesSummary);
  const label = h('label', { class: 'chip' }, input, h('span', {}, type));
  label.htmlFor = input.id;
  typesList.append(label);
}

function checkedTypes(): string[] {
  return Array.from(typesList.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked'), (input) => input.value);
}

function updateTypesSummary(): void {
  const types = checkedTypes();
  byId('types-summary').textContent = types.length === 0 ? '(all)' : `(${types.length} selected)`;
}

function readFilters(): LogFilters | string {
  const value = (id: string) => byId<HTMLInputElement>(id).value.trim();
  const userId = value('f-user');
  const ip = value('f-ip');
  if (userId && !UUID.test(userId)) return 'User id must be a UUID.';
  if (ip && !IP.test(ip)) return 'IP address must be an IPv4 or IPv6 address.';
  const from = localInputToIso(value('f-from'));
  const to = localInputToIso(value('f-to'));
  if (from && to && from > to) return '"From" must be before "To".';
  return {
    event_type: checkedTypes(),
    user_id: userId || undefined,
    identifier: value('f-identifier').toLowerCase() || undefined,
    ip: ip || undefined,
    from,
    to,
  };
}

function applyFilters(): void {
  const filters = readFilters();
  if (typeof filters === 'string') {
    filtersError.textContent = filters;
    return;
  }
  filtersError.textContent = '';
  state.filters = filters;
  state.cursors = [null];
  void loadPage();
  void timeline.show(filters);
}

function resetFilterInputs(): void {
  filtersForm.reset();
  updateTypesSummary();
  filtersError.textContent = '';
}

filtersForm.addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilters();
});

byId('reset-filters').addEventListener('click', () => {
  resetFilterInputs();
  applyFilters();
});

// ---- the table ---------------------------------------------------------------------------------

function userCell(item: LogItem): HTMLTableCellElement {
  const cell = h('td', { class: 'col-user' });
  const open = (id: string) => () => void panel.open(id);
  if (item.identifier) {
    cell.append(
      item.user_id
        ? h('button', { type: 'button', class: 'link', title: `Open user ${item.user_id}`, onclick: open(item.user_id) }, item.identifier)
        : h('span', {}, item.identifier),
    );
  }
  if (item.user_id) {
    cell.append(
      h(
        'button',
        { type: 'button', class: 'link id-link mono', title: item.user_id, aria: { label: `Open user ${item.user_id}` }, onclick: open(item.user_id) },
        shortId(item.user_id),
      ),
    );
  }
  if (!item.identifier && !item.user_id) cell.append(h('span', { class: 'muted' }, '—'));
  return cell;
}

/** The Details cell: a one-line summary that opens a full-width row with every field of the event. */
function detailsCell(item: LogItem, tr: HTMLTableRowElement): HTMLTableCellElement {
  const text = summarize(item.details);
  const extra: [string, string | null][] = [
    ['Event id', item.id],
    ['Session', item.session_id],
    ['Request', item.request_id],
    ['User agent', item.user_agent],
  ];
  let detailRow: HTMLTableRowElement | null = null;
  const toggle = h(
    'button',
    { type: 'button', class: 'row-toggle', title: text || 'Show all fields', aria: { expanded: 'false', label: `Event ${item.id}: ${text || 'no details'}` } },
    h('span', { class: 'row-caret' }, '▸'),
    h('span', { class: 'row-summary' }, text || h('span', { class: 'muted' }, 'no details')),
  );
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    if (!open) {
      detailRow?.remove();
      return;
    }
    detailRow = h(
      'tr',
      { class: 'detail-row' },
      h(
        'td',
        { colspan: 5 },
        h(
          'div',
          { class: 'detail-grid' },
          h(
            'dl',
            { class: 'props props-compact' },
            ...extra.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value ? h('code', {}, value) : h('span', { class: 'muted' }, '—'))]),
          ),
          h('pre', { class: 'json' }, JSON.stringify(item.details, null, 2)),
        ),
      ),
    );
    tr.after(detailRow);
  });
  return h('td', { class: 'col-details' }, toggle);
}

function row(item: LogItem): HTMLTableRowElement {
  const tr = h(
    'tr',
    { dataset: { id: item.id, type: item.event_type } },
    h('td', { class: 'col-time' }, timeElement(item.created_at)),
    h('td', { class: 'col-type' }, eventBadge(item.event_type)),
    userCell(item),
    h('td', { class: 'col-ip mono' }, item.ip ?? '—'),
  );
  tr.append(detailsCell(item, tr));
  return tr;
}

function placeholder(text: string): HTMLTableRowElement {
  return h('tr', { class: 'placeholder' }, h('td', { colspan: 5 }, text));
}

async function loadPage(): Promise<void> {
  const seq = ++state.loadSeq;
  const page = state.cursors.length;
  const limit = Number(limitSelect.value) || 50;
  eventsTable.setAttribute('aria-busy', 'true');
  prevButton.disabled = true;
  nextButton.disabled = true;
  eventsError.textContent = '';
  try {
    const result = await api.logs(state.filters, limit, state.cursors[page - 1]);
    if (seq !== state.loadSeq) return;
    state.next = result.next_cursor;
    eventsBody.replaceChildren(...(result.items.length > 0 ? result.items.map(row) : [placeholder('No events match these filters.')]));
    const first = (page - 1) * limit + 1;
    pageInfo.textContent = result.items.length === 0 ? 'No events' : `Events ${first}–${first + result.items.length - 1}${result.next_cursor ? '' : ' (end)'}`;
    pageNumber.textContent = `Page ${page}`;
  } catch (error) {
    if (seq !== state.loadSeq || error instanceof SessionEnded) return;
    state.next = null;
    eventsBody.replaceChildren(placeholder('Could not load events.'));
    eventsError.textContent = error instanceof ApiError ? error.describe() : 'The request failed: is the service reachable?';
  } finally {
    if (seq === state.loadSeq) {
      eventsTable.removeAttribute('aria-busy');
      prevButton.disabled = state.cursors.length <= 1;
      nextButton.disabled = state.next === null;
    }
  }
}

nextButton.addEventListener('click', () => {
  if (!state.next) return;
  state.cursors.push(state.next);
  void loadPage();
});

prevButton.addEventListener('click', () => {
  if (state.cursors.length <= 1) return;
  state.cursors.pop();
  void loadPage();
});

limitSelect.addEventListener('change', () => {
  state.cursors = [null];
  void loadPage();
});

byId('refresh').addEventListener('click', () => {
  void loadPage();
  void timeline.load();
  void checkChain();
});

// ---- export ------------------------------------------------------------------------------------

async function exportAs(format: 'ndjson' | 'csv', button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  eventsError.textContent = '';
  try {
    const { blob, filename } = await api.export(state.filters, format);
    download(blob, filename);
  } catch (error) {
    if (!(error instanceof SessionEnded)) eventsError.textContent = error instanceof ApiError ? error.describe() : 'The export failed.';
  } finally {
    button.disabled = false;
  }
}

for (const format of ['ndjson', 'csv'] as const) {
  const button = byId<HTMLButtonElement>(`export-${format}`);
  button.addEventListener('click', () => void exportAs(format, button));
}

// ---- confirmation dialog -----------------------------------------------------------------------

function confirm(title: string, text: string, okLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const ok = byId<HTMLButtonElement>('confirm-ok');
  const cancel = byId<HTMLButtonElement>('confirm-cancel');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  ok.textContent = okLabel;
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    const onClose = () => finish(false);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    cancel.focus();
  });
}

// ---- start -------------------------------------------------------------------------------------

// The access token lives in memory only: a reload gets a new one through the refresh cookie.
api.restore().then(
  (user) => (user ? showApp() : showLogin()),
  () => showLogin('The service is not reachable: try again in a moment.'),
);
