/** The side panel: find a user by email, open one (status, roles, live sessions) and act on it. */
import { Api, ApiError, SessionEnded, SessionInfo, UserDetail } from './api.js';
import { byId, h, timeElement } from './dom.js';

export interface UserPanelHooks {
  /** Filters the event table on this user. */
  showEvents(userId: string): void;
  /** Something changed on the server: the table may have new events. */
  changed(): void;
  confirm(title: string, text: string, okLabel: string): Promise<boolean>;
}

export class UserPanel {
  private readonly detail = byId('user-detail');
  private readonly results = byId<HTMLUListElement>('user-results');
  private readonly error = byId('user-error');
  private openId: string | null = null;

  constructor(
    private readonly api: Api,
    private readonly hooks: UserPanelHooks,
  ) {
    byId<HTMLFormElement>('user-search').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search(byId<HTMLInputElement>('user-search-email').value.trim());
    });
  }

  reset(): void {
    this.openId = null;
    this.detail.hidden = true;
    this.detail.replaceChildren();
    this.results.replaceChildren();
    this.error.textContent = '';
    byId<HTMLInputElement>('user-search-email').value = '';
  }

  private fail(error: unknown): void {
    if (error instanceof SessionEnded) return;
    this.error.textContent = error instanceof ApiError ? error.describe() : 'The request failed: is the service reachable?';
  }

  async search(email: string): Promise<void> {
    this.error.textContent = '';
    try {
      const page = await this.api.users(email.toLowerCase());
      if (page.items.length === 0) {
        this.results.replaceChildren(h('li', { class: 'muted' }, 'No user matches.'));
        return;
      }
      const more = page.next_cursor ? [h('li', { class: 'muted' }, 'More match: type more of the email.')] : [];
      this.results.replaceChildren(
        ...page.items.map((user) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'link', onclick: () => void this.open(user.id) },
              user.email,
              user.disabled ? h('span', { class: 'badge badge-bad badge-inline' }, 'disabled') : null,
            ),
          ),
        ),
        ...more,
      );
    } catch (error) {
      this.fail(error);
    }
  }

  async open(id: string, message = ''): Promise<void> {
    this.error.textContent = '';
    this.openId = id;
    this.detail.hidden = false;
    this.detail.setAttribute('aria-busy', 'true');
    try {
      const data = await this.api.userDetail(id);
      if (this.openId !== id) return;
      this.render(data, message);
      byId('user-title').focus();
    } catch (error) {
      if (this.openId === id) {
        this.detail.hidden = true;
        this.fail(error);
      }
    } finally {
      this.detail.removeAttribute('aria-busy');
    }
  }

  private close(): void {
    this.openId = null;
    this.detail.hidden = true;
    this.detail.replaceChildren();
    byId('side-heading').focus();
  }

  private render({ user, sessions }: UserDetail, message: string): void {
    const disabled = user.disabled === true;
    const status = h('p', { class: 'user-message', id: 'user-message', aria: { live: 'polite' } }, message);
    const act = async (action: 'revoke-sessions' | 'disable' | 'enable', done: string) => {
      status.textContent = '';
      try {
        await this.api.userAction(user.id, action);
        this.hooks.changed();
        await this.open(user.id, done);
      } catch (error) {
        if (error instanceof SessionEnded) return;
        status.textContent = error instanceof ApiError ? error.describe() : 'The request failed.';
        status.classList.add('form-error');
      }
    };
    const revoke = h('button', {
      type: 'button',
      class: 'btn btn-danger',
      id: 'revoke-sessions',
      disabled: sessions.length === 0,
      onclick: async () => {
        const ok = await this.hooks.confirm(
          'Revoke all sessions?',
          `${user.email} will be signed out everywhere (${sessions.length} live session${sessions.length === 1 ? '' : 's'}); their refresh tokens stop working at once.`,
          'Revoke sessions',
        );
        if (ok) await act('revoke-sessions', 'All sessions revoked.');
      },
    }, 'Revoke all sessions');
    const toggle = h('button', {
      type: 'button',
      class: disabled ? 'btn btn-secondary' : 'btn btn-danger-outline',
      id: 'toggle-disabled',
      onclick: async () => {
        if (disabled) return act('enable', 'Account enabled.');
        const ok = await this.hooks.confirm('Disable this account?', `${user.email} will not be able to sign in, and every session ends now.`, 'Disable account');
        if (ok) await act('disable', 'Account disabled.');
      },
    }, disabled ? 'Enable account' : 'Disable account');

    this.detail.replaceChildren(
      h(
        'div',
        { class: 'user-head' },
        h('h3', { id: 'user-title', class: 'user-title', tabindex: -1 }, user.email),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', aria: { label: 'Close user' }, onclick: () => this.close() }, '✕'),
      ),
      h(
        'p',
        { class: 'user-status' },
        h('span', { class: `badge ${disabled ? 'badge-bad' : 'badge-good'}`, id: 'user-status' }, disabled ? 'Disabled' : 'Active'),
        ...user.roles.map((role) => h('span', { class: 'badge badge-plain' }, role)),
      ),
      h(
        'dl',
        { class: 'props' },
        h('dt', {}, 'User id'),
        h('dd', {}, h('code', {}, user.id)),
        h('dt', {}, 'Name'),
        h('dd', {}, user.name ?? '—'),
        h('dt', {}, 'Created'),
        h('dd', {}, timeElement(user.created_at)),
      ),
      h(
        'div',
        { class: 'user-actions' },
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => this.hooks.showEvents(user.id) }, 'Show events'),
        revoke,
        toggle,
      ),
      status,
      h('h4', { class: 'sessions-title' }, `Live sessions (${sessions.length})`),
      sessions.length === 0
        ? h('p', { class: 'muted', id: 'no-sessions' }, 'No live sessions.')
        : h('ul', { class: 'sessions', id: 'sessions' }, ...sessions.map(sessionItem)),
    );
  }
}

function sessionItem(session: SessionInfo): HTMLLIElement {
  return h(
    'li',
    { class: 'session' },
    h('div', { class: 'session-line' }, h('code', { title: session.id }, session.id.slice(0, 8)), h('span', { class: 'mono' }, session.ip ?? 'unknown IP')),
    h('div', { class: 'session-ua', title: session.user_agent ?? '' }, session.user_agent ?? 'unknown client'),
    h(
      'dl',
      { class: 'session-times' },
      h('dt', {}, 'Started'),
      h('dd', {}, timeElement(session.created_at)),
      h('dt', {}, 'Last used'),
      h('dd', {}, timeElement(session.last_used_at)),
      h('dt', {}, 'Expires'),
      h('dd', {}, timeElement(session.expires_at)),
    ),
  );
}
