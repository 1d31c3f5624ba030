// `npm start` on a fresh clone: build once when dist/ is missing or older than the sources.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const entry = 'dist/auth-service.js'; // the bundle `npm start` runs
const console = 'dist/console/index.html';

function newest(dir) {
  let latest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    // A library's own build output (libs/client/dist) is written after the service: not a source.
    if (name.isDirectory() && name.name !== 'dist' && name.name !== 'node_modules') latest = Math.max(latest, newest(path));
    else if (name.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest('apps/auth-service/src'), newest('libs'));
if (!existsSync(entry) || !existsSync(console) || statSync(entry).mtimeMs < sources) {
  process.stdout.write('Building Tessera (first start or changed sources)...\n');
  execSync('npm run build', { stdio: 'inherit' });
}
