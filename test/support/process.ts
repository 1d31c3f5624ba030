import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_ENV } from './test-env';

const ROOT = join(__dirname, '../..');

/**
 * node's arguments exactly as `npm start` gives them (package.json's `start`: the heap flags and
 * the built entry point, scripts/bundle-auth-service.mjs), so that the tests run what ships (test:e2e builds first).
 */
export const START_ARGS: readonly string[] = (() => {
  const [node, ...args] = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.trim().split(/\s+/);
  if (node !== 'node' || args.length === 0) throw new Error(`package.json's start script is not "node …": ${node}`);
  return args.map((arg) => (arg.startsWith('-') ? arg : join(ROOT, arg)));
})();

/** The built service's entry point (the last of START_ARGS). */
export const MAIN = START_ARGS[START_ARGS.length - 1];

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) inherited[name] = process.env[name];
  return { ...inherited, ...BASE_ENV, HOST: '127.0.0.1', PORT: '0', ...env };
}

/** Runs the service until it exits by itself (a refused start). */
export function runUntilExit(env: Record<string, string>, timeoutMs = 30000): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...START_ARGS], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the service and waits for its "listening" line. */
export function startProcess(env: Record<string, string>, timeoutMs = 60000): Promise<ServiceProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...START_ARGS], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          output: () => out,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}
