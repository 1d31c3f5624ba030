// Part of `npm run build`: the auth service as one file, dist/auth-service.js, the entry that
// `npm start`, the Docker image, the e2e tests and the bench all run. A start then reads and
// compiles one file instead of resolving and loading about 1,900 modules (most of a cold start
// was Node's module loader: see bench/HISTORY.md, "Cold start").
//
// It bundles the output of `nest build` (dist/apps/auth-service/**.js), not the TypeScript
// sources: tsc has already emitted the decorator metadata (emitDecoratorMetadata) that Nest's
// dependency injection, class-validator and Swagger read, which esbuild would not emit. Class and
// function names are kept (Nest's module tokens and errors, TypeORM's entities and migrations use them).
//
// Left to Node at run time (required from node_modules, as before):
//  - packages with native code, WebAssembly or files they read beside themselves: argon2,
//    @electric-sql/pglite, swagger-ui-dist; pino, whose transports run its own files in worker threads;
//  - optional packages a dependency asks for only when present (Nest's @nestjs/microservices and
//    @nestjs/websockets, TypeORM's other drivers, pg-native, …): every package that is not
//    installed is left as a plain require, which fails at run time exactly as it did unbundled.
// The CLI commands (migration:run, keys:rotate, db:dump) still run from the compiled tree.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defaultPoolThreads, startCommand } from './start-command.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ENTRY = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/main.js');
/** What runs: a small loader (LOADER below) that compiles the bundle with the build's code cache. */
export const MAIN = join(ROOT, 'dist/auth-service.js');
export const BUNDLE = join(ROOT, 'dist/auth-service/bundle.js');
const EXTERNAL = ['argon2', '@electric-sql/pglite', 'swagger-ui-dist', 'pino', 'pino-pretty'];

/** A bare import that does not resolve from where it is written: an optional package, left to run time. */
const notInstalled = {
  name: 'not-installed',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'require-call' && args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      if (args.path.startsWith('node:')) return undefined;
      try {
        createRequire(join(args.resolveDir || dirname(args.importer), 'noop.js')).resolve(args.path);
        return undefined;
      } catch {
        return { path: args.path, external: true };
      }
    });
  },
};

/**
 * dist/auth-service.js. Node 20 has no compile cache for CommonJS, so the loader compiles the
 * bundle itself with V8's code cache (vm.Script cachedData): bytecode of what a start runs, made
 * by a start at build time (scripts/code-cache.mjs, which sets TESSERA_CODE_CACHE_OUT). Without a
 * cache, or with one V8 refuses (another Node, other V8 flags), the bundle is compiled as usual.
 * The wrapper has its own line (lineOffset -1), so line and column numbers are the bundle's; with
 * --enable-source-maps (NODE_OPTIONS too) the bundle is required as usual, for Node to map its
 * stack traces to the TypeScript sources through dist/auth-service/bundle.js.map.
 */
const LOADER = `'use strict';
// The Tessera auth service: \`npm start\`, the Docker image. Built by scripts/bundle-auth-service.mjs;
// the service itself is ./auth-service/bundle.js (with its source map), compiled here with the
// build's code cache when there is one.
// libuv's pool runs the argon2 hashes (and the signatures while a thread is free of them). Each of its threads that has
// hashed likely keeps its freed 19 MiB argon2 buffer in its own malloc arena; libuv's 4 threads on
// a 2-core machine held about 45 MiB more RSS than 2, for no more logins per second (measured). Unless set: one per core, from 2 to libuv's 4. Set
// before anything uses the pool, which reads it once.
process.env.UV_THREADPOOL_SIZE ||= String((${defaultPoolThreads})(require('node:os').availableParallelism()));
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const bundle = join(__dirname, 'auth-service', 'bundle.js');
// Node maps stack traces (--enable-source-maps) only for files its own loader read: then no cache.
if (process.sourceMapsEnabled) return void require(bundle);
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, 'auth-service', 'CACHE_NAME'));
} catch {
  cachedData = undefined; // no cache: compiled from the source alone
}
// The bundle is ASCII (the build checks it), so latin1 reads the same text without UTF-8's
// decoding: 12 ms instead of 75 for its 7 MiB here, before local names were minified (a cold start was 0.8-1.2 s).
const script = new vm.Script(\`(function (exports, require, module, __filename, __dirname) {\\n\${readFileSync(bundle, 'latin1')}\\n})\`, {
  filename: bundle,
  lineOffset: -1,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const out = process.env.TESSERA_CODE_CACHE_OUT;
if (out) process.once('exit', () => writeFileSync(out, script.createCachedData()));
const mod = new Module(bundle, module);
mod.filename = bundle;
mod.paths = Module._nodeModulePaths(dirname(bundle));
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
`;

/**
 * An esbuild plugin that edits a dependency's file as it is bundled: each `[from, to]` replaces
 * text that must occur exactly once in it, or the build fails (the dependency changed: look again).
 */
function patch(name, filter, replacements) {
  return {
    name,
    setup(b) {
      b.onLoad({ filter }, async (args) => {
        let text = await readFile(args.path, 'utf8');
        for (const [from, to] of replacements) {
          if (text.split(from).length !== 2) throw new Error(`${args.path}: "${from}" is no longer there once; see ${name} in scripts/bundle-auth-service.mjs`);
          text = text.replace(from, () => to);
        }
        return { contents: text, loader: 'js' };
      });
    },
  };
}

/**
 * @nestjs/terminus requires the ORM packages by a name in a variable (checkPackage.util.js), which
 * esbuild cannot follow: at the first /health/ready that would load a second copy of typeorm,
 * @nestjs/typeorm, @nestjs/core and rxjs from node_modules (half a second, and two of each). The
 * names this service's health check asks for are made plain requires, so the bundled copies answer.
 */
const terminusPackages = patch('terminus-packages', /@nestjs[\\/]terminus[\\/]dist[\\/]utils[\\/]checkPackage\.util\.js$/, [
  [
    'return require(`${module}`);',
    "return ({ '@nestjs/typeorm': () => require('@nestjs/typeorm'), typeorm: () => require('typeorm') }[module] ?? (() => require(`${module}`)))();",
  ],
]);

/**
 * pg (lib/stream.js) asks at its first connection whether it runs on Cloudflare Workers: on Node 20,
 * which has no `navigator`, by building a `Response`, and Node's first `Response` loads its whole
 * fetch implementation (undici): 34–50 ms of every cold start here, for an answer that is always
 * no. Node says so itself (`process.release.name`), and the check is answered with that first.
 */
const pgOnNode = patch('pg-on-node', /[\\/]pg[\\/]lib[\\/]stream\.js$/, [
  ['function isCloudflareRuntime() {', "function isCloudflareRuntime() { if (typeof process === 'object' && process.release && process.release.name === 'node') return false;"],
]);

/**
 * Nest's Logger and ConsoleLogger each make an Intl.DateTimeFormat as their module loads, for the
 * timestamps of Nest's own text lines. The service logs through pino (common/logging.ts) and never
 * prints those. A process's first DateTimeFormat took 26-43 ms in a bare node here; in the service,
 * making each at its first use instead gave starts with medians 9 and 27 ms lower (two alternated
 * sets: bench/HISTORY.md, "What changed on 2026-12-03 (evening)").
 */
const lazyNestTimestamps = patch('lazy-nest-timestamps', /[\\/]@nestjs[\\/]common[\\/]services[\\/](console-)?logger\.service\.js$/, [
  ['const dateTimeFormatter = new Intl.DateTimeFormat(', 'let dateTimeFormatter; const makeDateTimeFormatter = () => new Intl.DateTimeFormat('],
  ['dateTimeFormatter.format(', '(dateTimeFormatter ??= makeDateTimeFormatter()).format('],
]);

/**
 * keepNames stays: without it esbuild's renames show (Nest's `InstanceLoader` becomes
 * `_InstanceLoader` in its log context, TypeORM's errors their `_`-names). But its helper
 * `__name(fn, "fn")` runs each time a wrapped function expression is evaluated, so every closure
 * that Nest, Fastify or Passport makes per request got an Object.defineProperty of its `name`, and
 * a new hidden class with it. Where the engine already gave the function that name (a function
 * declaration, a method), the helper now leaves it alone: the same result. The source map's
 * columns follow the inserted check. Measured with perf under GET /api/auth/me: Object.defineProperty
 * went from 5.7 % to 2.7 % of the samples; what is left are function expressions that esbuild wraps
 * in `__name(…)`, where the engine infers no name. The helper's names are minified like the rest.
 */
function cheapNames(code, map) {
  const helper = /var ([\w$]+)=\(([\w$]+),([\w$]+)\)=>([\w$]+)\(\2,"name",\{value:\3,configurable:!0\}\);/g;
  const found = [...code.matchAll(helper)];
  if (found.length !== 1) throw new Error(`esbuild's __name helper changed (${found.length} matches): see cheapNames in ${basename(fileURLToPath(import.meta.url))}`);
  const [whole, , target, value] = found[0];
  const at = found[0].index + whole.indexOf('=>') + 2;
  const test = `${target}.name==${value}?${target}:`;
  const line = code.slice(0, at).split('\n').length - 1;
  const column = at - (code.lastIndexOf('\n', at - 1) + 1);
  return { code: code.slice(0, at) + test + code.slice(at), map: shiftColumns(map, new Map([[line, [[column - 1, test.length]]]])) };
}

/**
 * esbuild writes strings and templates in ASCII but leaves regular-expression literals as they are
 * (validator's alphabets, …): one non-ASCII character makes V8 hold the whole file as a two-byte
 * string, twice the memory and markedly slower to read and to parse. Each non-ASCII UTF-16 unit is
 * written as \\uXXXX (the same character in a regular expression, with or without the u flag;
 * esbuild has already escaped the strings and templates), and the source map's columns follow.
 */
function asciiOnly({ code, map }) {
  const lines = code.split('\n');
  const grown = new Map(); // line → [column, 5] for each of its non-ASCII units (one unit becomes six)
  lines.forEach((line, i) => {
    if (!/[^\x00-\x7f]/.test(line)) return;
    const at = [];
    for (let c = 0; c < line.length; c++) if (line.charCodeAt(c) > 0x7f) at.push([c, 5]);
    grown.set(i, at);
    lines[i] = line.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  });
  if (grown.size === 0) return { code, map };
  return { code: lines.join('\n'), map: shiftColumns(map, grown) };
}

/**
 * The source map once text has grown on some lines: `grown` maps a line (from 0) to its
 * `[column, added]` pairs, each saying that `added` characters now follow the character at `column`
 * (columns of the text before); every segment after such a column moves right by as much.
 */
function shiftColumns(map, grown) {
  const mapLines = map.mappings.split(';');
  for (const [i, growth] of grown) {
    if (!mapLines[i]) continue;
    let column = 0;
    let previous = 0;
    mapLines[i] = mapLines[i]
      .split(',')
      .map((segment) => {
        const [delta, rest] = vlqFirst(segment);
        column += delta;
        const moved = column + growth.reduce((sum, [c, added]) => (c < column ? sum + added : sum), 0);
        const out = vlqEncode(moved - previous) + rest;
        previous = moved;
        return out;
      })
      .join(',');
  }
  return { ...map, mappings: mapLines.join(';') };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The first VLQ value of a source-map segment, and the rest of the segment as it was. */
function vlqFirst(segment) {
  let value = 0;
  let shift = 0;
  let i = 0;
  for (;;) {
    const digit = B64.indexOf(segment[i++]);
    value += (digit & 31) << shift;
    if (!(digit & 32)) break;
    shift += 5;
  }
  return [value & 1 ? -(value >>> 1) : value >>> 1, segment.slice(i)];
}
function vlqEncode(n) {
  let value = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let digit = value & 31;
    value >>>= 5;
    if (value) digit |= 32;
    out += B64[digit];
  } while (value);
  return out;
}

/**
 * users/common-passwords.js as the values it exports, computed here: the module itself is run at
 * build time and its exports written out (each string array as one string split at its line
 * breaks, each number as itself). A start then splits one 170 KB string instead of loading
 * @zxcvbn-ts/language-common, which decompresses its two dictionaries as it loads (52 ms in a bare
 * node here), and filtering 49,000 passwords by length. In the service: starts 15-28 ms shorter
 * (median and mean of alternated starts, bench/HISTORY.md). Any other kind of export fails the build.
 */
const commonPasswordsAtBuild = {
  name: 'common-passwords-at-build',
  setup(b) {
    b.onLoad({ filter: /[\\/]users[\\/]common-passwords\.js$/ }, (args) => {
      const exported = createRequire(import.meta.url)(args.path);
      const lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });'];
      for (const [name, value] of Object.entries(exported)) {
        if (typeof value === 'number') lines.push(`exports.${name} = ${JSON.stringify(value)};`);
        else if (Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'string' && s !== '' && !s.includes('\n'))) {
          lines.push(`exports.${name} = ${JSON.stringify(value.join('\n'))}.split("\\n");`);
        } else throw new Error(`${args.path}: export ${name} is neither a number nor a list of one-line strings; see commonPasswordsAtBuild in scripts/bundle-auth-service.mjs`);
      }
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: [ENTRY],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  keepNames: true,
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  plugins: [notInstalled, terminusPackages, pgOnNode, lazyNestTimestamps, commonPasswordsAtBuild],
  sourcemap: 'external',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  // Short local names: a bundle of 5.0 MB instead of 7.0, less to read and hold at each start
  // (starts 27-43 ms shorter here, mean and median, bench/HISTORY.md). Names that show stay (keepNames).
  minifyIdentifiers: true,
  logLevel: 'error',
  metafile: true,
  write: false,
});
const output = (suffix) => result.outputFiles.find((f) => f.path.endsWith(suffix)).text;
const ascii = asciiOnly(cheapNames(output('.js'), JSON.parse(output('.js.map'))));
const code = `${ascii.code}//# sourceMappingURL=${basename(BUNDLE)}.map\n`;
// The loader reads the bundle as latin1, which is the same text only for ASCII.
if (/[^\x00-\x7f]/.test(code)) throw new Error('the bundle is not ASCII: the loader (LOADER) reads it as latin1');
rmSync(dirname(BUNDLE), { recursive: true, force: true });
rmSync(`${MAIN}.map`, { force: true }); // an older build's bundle was dist/auth-service.js itself
mkdirSync(dirname(BUNDLE), { recursive: true });
writeFileSync(BUNDLE, code);
writeFileSync(`${BUNDLE}.map`, JSON.stringify(ascii.map));
// The cache's name carries the bundle's hash: V8 checks only a cache's source length, so a cache
// left from another bundle must never be found (scripts/code-cache.mjs makes it, after the template).
// It also carries `npm start`'s V8 flags, under which it is made: V8 rejects a cache made under others.
const hash = createHash('sha256').update(code).update(startCommand(ROOT).flags.join(' ')).digest('hex').slice(0, 16);
writeFileSync(MAIN, LOADER.replace('CACHE_NAME', `bundle-${hash}.cache`));
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(`dist/auth-service/bundle.js: the auth service bundled from ${inputs} files (esbuild); dist/auth-service.js runs it\n`);
