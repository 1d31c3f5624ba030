import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../apps/auth-service/src/config/env.schema';

/**
 * No Docker engine runs where the suite runs: this checks what can be checked without one. The file
 * parses, has what the README promises, and every variable it gives Tessera is one Tessera reads,
 * with values that its configuration accepts.
 */
const ROOT = join(__dirname, '..');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string> | string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
}

function load(): Record<string, Service> {
  const document = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  expect(document.errors).toEqual([]);
  expect(document.warnings).toEqual([]);
  return (document.toJS({ maxAliasCount: 100 }) as { services: Record<string, Service> }).services;
}

/** The variables config/env.schema.ts reads (SPEC §1), from its source. */
function knownVariables(): Set<string> {
  const source = readFileSync(join(ROOT, 'apps/auth-service/src/config/env.schema.ts'), 'utf8');
  const names = new Set<string>();
  for (const match of source.matchAll(/\b(?:raw|int|url)\('([A-Z][A-Z0-9_]*)'/g)) names.add(match[1]);
  for (const match of source.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\['([A-Z][A-Z0-9_]*)'\])/g)) names.add(match[1] ?? match[2]);
  return names;
}

function envExample(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) out[match[1]] = match[2];
  }
  return out;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const set = env[name] !== undefined && env[name] !== '';
    if (set) return env[name];
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const environmentOf = (service: Service): Record<string, string> =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('docker-compose.yml (checked without a Docker engine)', () => {
  const services = load();
  const tessera = Object.entries(services).filter(([, s]) => s.build !== undefined);

  it('runs PostgreSQL, Redis, two Tessera instances built from the Dockerfile and a load balancer, each with a health check', () => {
    expect(services.postgres?.image).toMatch(/^postgres:1[4-9]/);
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(tessera.map(([name]) => name).sort()).toEqual(['tessera-1', 'tessera-2']);
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    expect(services.lb?.image).toMatch(/^nginx:/);
    for (const [name, service] of Object.entries(services)) expect([name, service.healthcheck?.test]).toEqual([name, expect.anything()]);
    for (const [, service] of tessera) {
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(JSON.stringify(service.healthcheck?.test)).toContain('/health/ready');
    }
  });

  it("starts the image's service exactly as `npm start` does (same node flags, same entry point)", () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.trim().split(/\s+/);
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd as string)).toEqual(start);
  });

  it('gives Tessera only variables that the service knows, and values its configuration accepts', () => {
    const known = knownVariables();
    expect(known.has('KEYS_ENCRYPTION_SECRET')).toBe(true); // the extraction itself works
    // What an operator fills into .env (the example leaves the secrets empty on purpose).
    const filled = { ...envExample(), KEYS_ENCRYPTION_SECRET: 'x'.repeat(48), POSTGRES_PASSWORD: 'pw' };
    for (const [name, service] of tessera) {
      const environment = environmentOf(service);
      expect([name, Object.keys(environment).filter((v) => !known.has(v))]).toEqual([name, []]);
      const resolved = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, interpolate(v, filled)]));
      const config = loadConfig(resolved);
      expect(config.env).toBe('production');
      expect(config.db).toMatchObject({ driver: 'postgres', url: 'postgres://tessera:pw@postgres:5432/tessera' });
      expect(config.redis.url).toBe('redis://redis:6379');
      expect(config.http.trustProxy).toBe(1);
    }
    // The shared secret must come from .env: without it, compose refuses to start anything.
    expect(() => interpolate(environmentOf(tessera[0][1]).KEYS_ENCRYPTION_SECRET, envExample())).toThrow(/KEYS_ENCRYPTION_SECRET is required/);
  });

  it('takes every ${VARIABLE} it uses from .env.example', () => {
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect([...used].filter((name) => !(name in envExample()))).toEqual([]);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('has the load balancer send traffic to every instance, on the port it listens on, with the client address', () => {
    const mount = services.lb.volumes?.find((v) => v.endsWith(':/etc/nginx/nginx.conf:ro'));
    expect(mount).toBeDefined();
    const conf = readFileSync(join(ROOT, (mount as string).split(':')[0]), 'utf8');
    const port = loadConfig({}).http.port; // the image does not change PORT
    for (const [name] of tessera) expect(conf).toMatch(new RegExp(`server ${name}:${port}\\b`));
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    expect(conf).toMatch(/listen 8080;/);
    expect(services.lb.ports).toEqual(['8080:8080']);
  });
});
