// Runs Jest the way this project needs it, for `npm run test:unit` and `npm run test:e2e`:
// - `--experimental-vm-modules`: PGlite's CommonJS build loads `fs` with a dynamic import(),
//   which Jest's module registry only allows in that mode;
// - `--runInBand`: two cores, and each embedded database costs hundreds of MB;
// - when JEST_JSON_DIR is set (.ci/run), Jest's --json results go there, for the closing count.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [label, config, ...rest] = process.argv.slice(2);
const args = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '-c', config, '--runInBand', ...rest];
if (process.env.JEST_JSON_DIR) {
  mkdirSync(process.env.JEST_JSON_DIR, { recursive: true });
  const file = join(process.env.JEST_JSON_DIR, `${process.env.JEST_JSON_LABEL ?? 'run'}-${label}.json`);
  args.push('--json', `--outputFile=${file}`);
}
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
process.exit(result.status ?? 1);
