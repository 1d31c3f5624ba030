/**
 * What users install is what was tested (STYLE §12): `npm pack` of libs/verifier, installed into a
 * scratch project outside this repository (registry dependencies from npm's cache when it has them),
 * then used from plain Node (CommonJS and ESM) and from a small Nest app compiled by the scratch
 * project's own TypeScript against the package's declarations and `exports`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const FIXTURES = join(__dirname, 'fixtures/verifier-consumer');
const versionOf = (name: string): string => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
const run = (cwd: string, command: string, args: string[]): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });

describe('@tessera/verifier from its packed tarball', () => {
  let scratch: string;
  let files: string[];

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tessera-verifier-consumer-'));
    const packed = JSON.parse(run(join(ROOT, 'libs/verifier'), 'npm', ['pack', '--json', '--pack-destination', scratch]));
    files = packed[0].files.map((f: { path: string }) => f.path);
    const tarball = join(scratch, readdirSync(scratch).find((f) => f.endsWith('.tgz'))!);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-consumer', private: true }));
    cpSync(FIXTURES, scratch, { recursive: true });
    const deps = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-fastify', 'reflect-metadata', 'rxjs', 'typescript', '@types/node'];
    run(scratch, 'npm', ['install', '--prefer-offline', '--no-package-lock', tarball, ...deps.map((d) => `${d}@${versionOf(d)}`)]);
  }, 600_000);
  afterAll(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  it('packs the build with type declarations, and neither sources nor tests', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/nest/index.js', 'dist/nest/index.d.ts']));
    expect(files.filter((f) => /\.spec\.|^src\/|^test\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('verifies a token from plain Node (CommonJS) without loading Nest, and refuses a bad one with the typed error', () => {
    const out = JSON.parse(run(scratch, process.execPath, ['plain.cjs']));
    expect(out).toEqual({ sub: expect.any(String), refused: { isTyped: true, reason: 'malformed' }, nestLoaded: false });
  });

  it('verifies a token from an ES module', () => {
    expect(JSON.parse(run(scratch, process.execPath, ['plain.mjs']))).toEqual({ roles: ['user', 'admin'] });
  });

  it('type-checks a Nest app against the declarations (node16 resolution, strict) and runs it: guard, @Claims, @Roles', () => {
    run(scratch, join(scratch, 'node_modules/.bin/tsc'), [
      '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--experimentalDecorators',
      '--emitDecoratorMetadata', '--types', 'node', 'nest-app.ts',
    ]);
    const out = JSON.parse(run(scratch, process.execPath, ['nest-app.js']));
    expect(out.hello).toEqual({ status: 200, challenge: null, body: { sub: expect.any(String), same: true } });
    expect(out.missing).toEqual({ status: 401, challenge: 'Bearer', body: { statusCode: 401, error: 'unauthorized', message: 'Authentication required' } });
    expect(out.bad).toMatchObject({ status: 401, challenge: 'Bearer error="invalid_token"', body: { statusCode: 401, error: 'unauthorized' } });
    expect(out.forbidden).toEqual({ status: 403, challenge: null, body: { statusCode: 403, error: 'forbidden', message: 'This requires the admin role' } });
    expect(out.admin).toEqual({ status: 200, challenge: null, body: { ok: true } });
  });
});
