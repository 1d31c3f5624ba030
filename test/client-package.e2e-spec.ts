import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningService, startAuthService } from './support/auth-service';
import { newSession } from './support/flows';
import { STRONG_PASSWORD } from './support/http';

const LIB = join(__dirname, '..', 'libs', 'client');
const TSC = require.resolve('typescript/bin/tsc');
/** Asynchronous: the service runs in this process and must keep answering while the child runs. */
const run = promisify(execFile);

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/** What users install is what is tested: the packed tarball, in a project outside this repository. */
describe('@tessera/client as a package (npm pack, installed in a scratch project)', () => {
  let service: RunningService;
  let scratch: string;
  let files: string[];

  beforeAll(async () => {
    if (!existsSync(join(LIB, 'dist', 'index.js'))) throw new Error('libs/client/dist is missing: run `npm run build` before the e2e tests');
    scratch = mkdtempSync(join(tmpdir(), 'tessera-client-scratch-'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], LIB)) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path).sort();
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
    npm(['install', '--offline', join(scratch, packed.filename)], scratch);
    service = await startAuthService({ RATE_LIMIT_LOGIN: '1000' });
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships its build, its declarations and its manifest, and nothing else', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => f !== 'package.json' && !f.startsWith('dist/'))).toEqual([]);
    expect(files.filter((f) => f.includes('.spec.'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules', '@tessera', 'client', 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@tessera/client', sideEffects: false, types: './dist/index.d.ts', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } });
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it('is one ES module that imports nothing (no Node built-in, no dependency): a browser loads it as it is', () => {
    const bundle = readFileSync(join(scratch, 'node_modules', '@tessera', 'client', 'dist', 'index.js'), 'utf8');
    expect(bundle).not.toMatch(/^\s*import\s/m);
    expect(bundle).not.toMatch(/\brequire\(/);
    expect(bundle).not.toMatch(/["']node:/);
    expect(bundle).toMatch(/^export\s*\{/m);
  });

  it('imported from Node, signs in to the real service and calls it', async () => {
    const account = await newSession(service.url, 'packed');
    writeFileSync(
      join(scratch, 'script.mjs'),
      `import { createClient } from '@tessera/client';
const [issuer, email, password] = process.argv.slice(2);
const client = createClient({ issuer });
const user = await client.login(email, password);
const me = await client.fetch(issuer + '/api/auth/me');
await client.logout();
process.stdout.write(JSON.stringify({ login: user.email, me: me.status, after: await client.getAccessToken() }));
`,
    );
    const { stdout } = await run(process.execPath, ['script.mjs', service.url, account.email, STRONG_PASSWORD], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual({ login: account.email, me: 200, after: null });
  });

  it('type-checks in a TypeScript project from its declarations alone', async () => {
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { createClient, TesseraError, type TesseraClient, type TokenStorage } from '@tessera/client';
const keychain: TokenStorage = { getItem: async () => null, setItem: async () => undefined, removeItem: async () => undefined };
const client: TesseraClient = createClient({ issuer: 'https://auth.example.com', storage: keychain, prefix: 'app' });
const off: () => void = client.on('logout', ({ reason }) => reason.toUpperCase());
off();
export async function token(): Promise<string | null> {
  try {
    return await client.getAccessToken();
  } catch (error) {
    if (error instanceof TesseraError && error.kind === 'unavailable') return null;
    throw error;
  }
}
`,
    );
    const args = [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', '--typeRoots', './no-types', 'consumer.ts'];
    const result = await run(process.execPath, args, { cwd: scratch, encoding: 'utf8' }).then(
      () => 'ok',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('ok');
  });
});
