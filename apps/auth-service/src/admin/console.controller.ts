import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import type { FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../common/app-error';

/**
 * The page's own policy, in place of the API's `default-src 'none'` (set by helmet on every
 * response): its scripts and styles come from this origin only, never inline, and it calls this
 * origin's API only.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const ASSET = /^[a-z0-9-]+\.(js|css)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** `<root>/dist/console`, root being the nearest directory up from here with a package.json (from dist/ or from the sources). */
export function consoleDir(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), 'dist', 'console');
    dir = parent;
  }
}

function notBuilt(): AppError {
  return new AppError('unavailable', 'The admin console is not built: run npm run build');
}

/**
 * The admin console (SPEC §2 administration): a static page and its modules, built by
 * `npm run build` into dist/console. The page loads without authentication; every piece of data
 * comes from the admin API with the admin's Bearer token.
 */
@ApiTags('admin console')
@Controller('admin')
export class ConsoleController {
  private readonly dir = consoleDir();

  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the admin console (a static page; it signs in through the API)' })
  @Get()
  async page(@Res() reply: FastifyReply): Promise<void> {
    let html: Buffer;
    try {
      html = await readFile(join(this.dir, 'index.html'));
    } catch {
      throw notBuilt();
    }
    void reply
      .header('Content-Security-Policy', CONSOLE_CSP)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('Referrer-Policy', 'no-referrer')
      .send(html);
  }

  @ApiProduces('application/javascript', 'text/css')
  @ApiOkResponse({ description: 'a file of the console' })
  @ApiErrors(404)
  @Get('assets/:file')
  async asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    const match = ASSET.exec(file);
    if (!match) throw new AppError('not_found', 'Not found');
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      throw notBuilt();
    }
    // Only a file the build put there, by exact name: nothing else on disk is reachable.
    if (!names.includes(file)) throw new AppError('not_found', 'Not found');
    const body = await readFile(join(this.dir, file));
    void reply
      .header('Content-Security-Policy', CONSOLE_CSP)
      .header('Content-Type', CONTENT_TYPES[match[1]])
      .header('Cache-Control', 'no-cache')
      .send(body);
  }
}
