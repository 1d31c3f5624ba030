import { Emitter } from './emitter';

describe('Emitter', () => {
  it('calls the listeners of an event with its payload, until they are removed', () => {
    const emitter = new Emitter<{ logout: { reason: string }; login: { id: number } }>();
    const heard: string[] = [];
    const off = emitter.on('logout', ({ reason }) => heard.push(reason));
    emitter.on('login', ({ id }) => heard.push(`login ${id}`));
    emitter.emit('logout', { reason: 'revoked' });
    emitter.emit('login', { id: 1 });
    off();
    emitter.emit('logout', { reason: 'reused' });
    expect(heard).toEqual(['revoked', 'login 1']);
  });

  it('a listener that throws does not keep the others from hearing the event', async () => {
    const emitter = new Emitter<{ refresh: number }>();
    const heard: number[] = [];
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (callback) => original(() => {
      try {
        callback();
      } catch (error) {
        thrown.push(error);
      }
    });
    try {
      emitter.on('refresh', () => {
        throw new Error('listener bug');
      });
      emitter.on('refresh', (n) => heard.push(n));
      emitter.emit('refresh', 7);
      await Promise.resolve();
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(heard).toEqual([7]);
    expect(thrown).toEqual([new Error('listener bug')]);
  });
});
