// Part of `npm run build`, after the bundle and the template cluster: V8's code cache of the bundle
// (dist/auth-service/bundle-<hash>.cache), that dist/auth-service.js hands to V8 so that a start
// does not compile again what every start compiles (Node 20 has no compile cache of its own).
// It is made by one real start of the built service, on the embedded database in a temporary
// DATA_DIR, with a throwaway KEYS_ENCRYPTION_SECRET: ready, one /health/ready, then SIGTERM; the
// loader writes the cache as the process exits (TESSERA_CODE_CACHE_OUT). The cache holds compiled
// code only (no heap, nothing of that start's keys or data). If this fails the build goes on
// without it: the service then compiles from the source at each start, as before.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCommand } from './start-command.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Made under `npm start`'s own V8 flags (the heap limits): V8 rejects a code cache made under other
// flags (checked: a cache made without them was refused with them, and every start compiled again).
const { flags: START_FLAGS, entry: MAIN } = startCommand(ROOT);
const name = /'(bundle-[0-9a-f]+\.cache)'/.exec(readFileSync(MAIN, 'utf8'))?.[1];
if (!name) throw new Error(`${MAIN}: no cache name in it (see scripts/bundle-auth-service.mjs)`);
const cache = join(ROOT, 'dist/auth-service', name);
if (existsSync(cache)) process.exit(0); // made for this very bundle already

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-code-cache-'));
const pending = `${cache}.pending-${process.pid}`;
try {
  await startAndStop(dataDir, pending);
  if (!existsSync(pending) || statSync(pending).size === 0) throw new Error('the start wrote no cache');
  renameSync(pending, cache);
  process.stdout.write(`dist/auth-service/${name}: V8's code cache of the bundle (${(statSync(cache).size / 2 ** 20).toFixed(1)} MiB)\n`);
} catch (error) {
  rmSync(pending, { force: true });
  process.stderr.write(`warning: no code cache for the bundle (${error.message}); the service will compile it at each start\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

function startAndStop(dataDir, out) {
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    KEYS_ENCRYPTION_SECRET: randomBytes(36).toString('base64'),
    TESSERA_CODE_CACHE_OUT: out,
  };
  const child = spawn(process.execPath, [...START_FLAGS, MAIN], { cwd: dirname(MAIN), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    let asked = false;
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-4000);
      const match = !asked && /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (!match) return;
      asked = true;
      fetch(`http://127.0.0.1:${match[1]}/health/ready`)
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
        .finally(() => child.kill('SIGTERM'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (asked && code === 0) resolve();
      else reject(new Error(`the service exited (${code}) ${asked ? 'after' : 'before'} it listened: ${output.slice(-500)}`));
    });
  });
}
