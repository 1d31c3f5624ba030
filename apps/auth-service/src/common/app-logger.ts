import { Logger, Params, PinoLogger } from 'nestjs-pino';

/**
 * Nest's logger, as JSON lines through pino (common/logging.ts), less three noises: the start-up
 * inventory of modules and routes, the ExceptionHandler's report of a failed start (main.ts prints
 * one clear line instead of a stack trace) and stack traces of TypeORM's connection retries.
 */
const BOOT_NOISE = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export class AppLogger extends Logger {
  constructor(params: Params) {
    super(new PinoLogger(params), params);
  }

  /** Nest's per-module and per-route start-up lines say nothing an operator needs. */
  override log(message: unknown, ...rest: unknown[]): void {
    if (BOOT_NOISE.has(rest[rest.length - 1] as string)) return;
    super.log(message, ...rest);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (context === 'ExceptionHandler') return;
    if (context === 'TypeOrmModule') {
      super.error(message, context);
      return;
    }
    super.error(message, ...rest);
  }
}
