// node's arguments as `npm start` gives them: package.json's `start` script, "node FLAGS… ENTRY".
// One definition of how the service is started, for the build (the code cache must be made under
// the same V8 flags, or V8 rejects it) and the bench; test/support/process.ts reads it the same way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `{ flags, entry }` of package.json's start script, the entry resolved against `root`. */
export function startCommand(root) {
  const [node, ...args] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start.trim().split(/\s+/);
  if (node !== 'node' || args.length === 0 || args.at(-1).startsWith('-')) throw new Error(`package.json's start script is not "node [flags…] entry": ${node} ${args.join(' ')}`);
  return { flags: args.slice(0, -1), entry: join(root, args.at(-1)) };
}
