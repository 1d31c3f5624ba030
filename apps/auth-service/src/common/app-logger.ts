import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger, less two noises: the ExceptionHandler's report of a failed start (main.ts
 * prints one clear line instead of a stack trace) and stack traces of TypeORM's connection retries.
 */
export class AppLogger extends ConsoleLogger {
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
