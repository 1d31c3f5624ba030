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
 * Opens a connection and writes the start of a request (request line and `headers`, not the blank
 * line): the server has begun reading a request there, so the connection is busy, not idle.
 */
export async function beginRequest(url: string, method: string, path: string, headers: Record<string, string>): Promise<PartialRequest> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = once(socket, 'close');
  const lines = Object.entries({ Host: `${hostname}:${port}`, Connection: 'keep-alive', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`${method} ${path} HTTP/1.1\r\n${lines.join('')}`);
  return {
    async finish(lastHeaders, body) {
      const last = Object.entries({ ...lastHeaders, 'Content-Length': String(Buffer.byteLength(body)) }).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`${last.join('')}\r\n${body}`);
      await closed;
      const split = received.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = received.slice(0, split).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of headerLines) parsed[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      return { statusLine, headers: parsed, body: received.slice(split + 4) };
    },
  };
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
