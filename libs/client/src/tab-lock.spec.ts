import { coordinationName, TabChannel, TabLock } from './tab-lock';

describe('TabLock', () => {
  it('without Web Locks, runs the tasks of this page one after another, failures included', async () => {
    const lock = new TabLock('x', null);
    expect(lock.shared).toBe(false);
    const order: string[] = [];
    const slow = lock.run(async () => {
      order.push('a start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('a end');
      throw new Error('a failed');
    });
    const fast = lock.run(async () => {
      order.push('b');
      return 'b';
    });
    await expect(slow).rejects.toThrow('a failed');
    await expect(fast).resolves.toBe('b');
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('with Web Locks, asks for the exclusive lock of its name', async () => {
    const requests: [string, unknown][] = [];
    const locks = {
      request: <T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>) => {
        requests.push([name, options]);
        return callback();
      },
    };
    const lock = new TabLock(coordinationName('https://auth.example.com', 'app'), locks);
    expect(lock.shared).toBe(true);
    await expect(lock.run(async () => 42)).resolves.toBe(42);
    expect(requests).toEqual([['tessera-client:https://auth.example.com:app', { mode: 'exclusive' }]]);
  });
});

describe('TabChannel', () => {
  it('is a no-op where BroadcastChannel does not exist', () => {
    const channel = new TabChannel<string>('x', () => undefined, null);
    expect(channel.shared).toBe(false);
    expect(() => channel.post('hello')).not.toThrow();
    channel.close();
  });

  it('names distinct channels for distinct issuers and prefixes, so two clients never cross', () => {
    const names = new Set([
      coordinationName('https://a.example.com', 'tessera'),
      coordinationName('https://b.example.com', 'tessera'),
      coordinationName('https://a.example.com', 'admin'),
    ]);
    expect(names.size).toBe(3);
  });
});
