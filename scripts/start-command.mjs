// node's arguments as `npm start` gives them: package.json's `start` script, "node FLAGS… ENTRY".
// One definition of how the service is started, for the build (the code cache must be made under
// the same V8 flags, or V8 rejects it) and the bench; test/support/process.ts reads it the same way.
// Also the size `npm start` gives libuv's pool when UV_THREADPOOL_SIZE is unset (the loader,
// scripts/bundle-auth-service.mjs), which the bench's refresh bounds take too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `{ flags, entry }` of package.json's start script, the entry resolved against `root`. */
export function startCommand(root) {
  const [node, ...args] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start.trim().split(/\s+/);
  if (node !== 'node' || args.length === 0 || args.at(-1).startsWith('-')) throw new Error(`package.json's start script is not "node [flags…] entry": ${node} ${args.join(' ')}`);
  return { flags: args.slice(0, -1), entry: join(root, args.at(-1)) };
}

/**
 * libuv's pool size for `cores` cores when UV_THREADPOOL_SIZE is unset: one thread per core, from 2
 * to libuv's 4. Written into the loader as source (keep it a self-contained function).
 */
export function defaultPoolThreads(cores) {
  return Math.min(4, Math.max(2, cores));
}
