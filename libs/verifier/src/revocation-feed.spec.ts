/** The verifier's revocation feed against a feed server this test runs on 127.0.0.1 (SPEC §8). */
import { ServerResponse } from 'node:http';
import { AUDIENCE, eventually, ISSUER, jwksServer, serve, SigningKey, signingKey, TestServer, token } from '../test/servers';
import { createVerifier, TokenVerificationError, Verifier } from './index';
import { RevocationFeed } from './revocation-feed';

const cursorOf = (url = '') => new URL(url, 'http://x').searchParams.get('cursor');

describe('revocation feed', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const feedServer = async (respond: (res: ServerResponse, n: number) => void): Promise<TestServer> => {
    let n = 0;
    const server = await serve((_req, res) => respond(res, n++));
    closers.push(() => server.close());
    return server;
  };
  const feed = (url: string, intervalMs = 100) => {
    const f = new RevocationFeed({ url, intervalMs });
    closers.push(() => f.close());
    f.start();
    return f;
  };
  const page = (res: ServerResponse, sids: string[], next: string) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: sids.map((sid) => ({ sid, revoked_at: new Date().toISOString() })), next_cursor: next }));

  it('follows next_cursor and learns every listed session', async () => {
    const server = await feedServer((res, n) => page(res, n === 0 ? ['s1', 's2'] : n === 1 ? ['s3'] : [], `c${n + 1}`));
    const f = feed(`${server.url}/api/auth/revocations`);
    await eventually(() => server.requests.length >= 4);
    expect(server.requests.slice(0, 4).map((r) => cursorOf(r.url))).toEqual([null, 'c1', 'c2', 'c3']);
    expect(['s1', 's2', 's3', 's4'].map((sid) => f.has(sid))).toEqual([true, true, true, false]);
  });

  it('keeps one request in flight at most, however long the issuer takes', async () => {
    const server = await feedServer(() => undefined); // never answers
    feed(server.url, 100);
    await new Promise((r) => setTimeout(r, 800));
    expect(server.requests).toHaveLength(1);
  });

  it('backs off, doubling the wait, while the issuer fails', async () => {
    const server = await feedServer((res) => res.writeHead(503).end('{}'));
    const times: number[] = [];
    const original = server.requests.push.bind(server.requests);
    server.requests.push = (...items) => (times.push(Date.now()), original(...items));
    feed(server.url, 100);
    await eventually(() => times.length >= 4, 5000);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // 200, 400, 800 ms: lower bounds only (a timer never fires early by more than a tick).
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThanOrEqual(390);
    expect(gaps[2]).toBeGreaterThanOrEqual(790);
  });

  it('starts over without a cursor when the issuer refuses it (400)', async () => {
    const server = await feedServer((res, n) => (n === 1 ? res.writeHead(400).end('{}') : page(res, [], 'c1')));
    feed(server.url, 100);
    await eventually(() => server.requests.length >= 3, 3000);
    expect(server.requests.slice(0, 3).map((r) => cursorOf(r.url))).toEqual([null, 'c1', null]);
  });

  it('ignores answers that are not a feed page', async () => {
    const server = await feedServer((res, n) =>
      n === 0 ? res.writeHead(200).end(JSON.stringify({ items: [{ sid: 7 }], next_cursor: 'x' })) : page(res, ['ok'], 'c'));
    const f = feed(server.url, 100);
    await eventually(() => f.has('ok'), 3000);
    expect(cursorOf(server.requests[1].url)).toBeNull();
  });

  describe('through createVerifier', () => {
    let key: SigningKey;
    let verifier: Verifier;
    let revoked: string[];
    let feedUp: boolean;
    beforeEach(async () => {
      key = await signingKey('ES256');
      const jwks = await jwksServer([key]);
      closers.push(() => jwks.close());
      revoked = [];
      feedUp = true;
      const server = await feedServer((res) => (feedUp ? page(res, revoked.splice(0), 'next') : undefined));
      verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url, revocations: { url: server.url, intervalMs: 100 } });
      closers.push(() => verifier.close());
    });

    it('refuses tokens of a listed session with reason revoked, and only those', async () => {
      const doomed = await token(key);
      const other = await token(key);
      await expect(verifier.verify(doomed)).resolves.toBeTruthy();
      revoked.push(JSON.parse(Buffer.from(doomed.split('.')[1], 'base64url').toString()).sid);
      let error: unknown;
      for (let tries = 0; tries < 100 && !error; tries += 1) {
        error = await verifier.verify(doomed).then(() => undefined, (e: unknown) => e);
        if (!error) await new Promise((r) => setTimeout(r, 20));
      }
      expect(error).toBeInstanceOf(TokenVerificationError);
      expect(error).toMatchObject({ reason: 'revoked' });
      await expect(verifier.verify(other)).resolves.toBeTruthy();
    });

    it('never fails or delays verification while the feed is down', async () => {
      feedUp = false;
      await expect(verifier.verify(await token(key))).resolves.toBeTruthy();
    });
  });
});
