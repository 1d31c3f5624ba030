import { once } from 'node:events';
import { connect, Socket } from 'node:net';

export interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** A request written in two parts on its own keep-alive connection: the head first, the rest on `finish`. */
export interface PartialRequest {
  /** Writes the last headers and the body, and resolves with the answer once the server closes the connection. */
  finish(lastHeaders: Record<string, string>, body: string): Promise<RawResponse>;
}

/**
 * Opens a keep-alive connection and, in one write, sends a whole `GET /health/ready` and then the
 * start of a request (request line and `headers`, not the blank line); resolves once the first
 * answer is in. By then the server has read the whole write, so it has begun reading the second
 * request there: the connection is busy, not idle, whatever the machine's load.
 */
export async function beginRequest(url: string, method: string, path: string, headers: Record<string, string>): Promise<PartialRequest> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  let firstAnswered: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstAnswered = resolve));
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
    if (answerEnd(received) !== null) firstAnswered();
  });
  const closed = once(socket, 'close');
  const host = `Host: ${hostname}:${port}\r\n`;
  const lines = Object.entries({ Connection: 'keep-alive', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET /health/ready HTTP/1.1\r\n${host}Connection: keep-alive\r\n\r\n${method} ${path} HTTP/1.1\r\n${host}${lines.join('')}`);
  await Promise.race([first, closed.then(() => Promise.reject(new Error(`connection closed before the first answer: ${received}`)))]);
  return {
    async finish(lastHeaders, body) {
      const last = Object.entries({ ...lastHeaders, 'Content-Length': String(Buffer.byteLength(body)) }).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`${last.join('')}\r\n${body}`);
      await closed;
      return parseAnswer(received.slice(answerEnd(received) ?? 0));
    },
  };
}

/** Where the first answer in `text` ends (it has a Content-Length), or null while it is incomplete. */
function answerEnd(text: string): number | null {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return null;
  const length = Number(parseAnswer(text.slice(0, split + 4)).headers['content-length'] ?? 0);
  return text.length >= split + 4 + length ? split + 4 + length : null;
}

function parseAnswer(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { statusLine, headers, body: text.slice(split + 4) };
}

/** Resolves once the server at `url` refuses new connections (it has stopped listening: it drains). */
export async function untilRefused(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  for (let i = 0; i < 500; i++) {
    const probe: Socket = connect(Number(port), hostname);
    const outcome = await new Promise<string>((resolve) => {
      probe.once('connect', () => resolve('accepted'));
      probe.once('error', () => resolve('refused'));
    });
    probe.destroy();
    if (outcome === 'refused') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} still accepts connections`);
}
