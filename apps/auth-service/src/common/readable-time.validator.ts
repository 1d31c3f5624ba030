import { registerDecorator, ValidationOptions } from 'class-validator';
import { inStorableRange } from './cursor';

/**
 * An ISO 8601 time that Date can read and PostgreSQL can store: ISO 8601 also allows week dates,
 * ordinal dates and basic formats (2020-W01, 2020-100, 20200101), which Date cannot read.
 */
export function IsReadableTime(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isReadableTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a date-time like 2026-11-24T12:00:00Z (years 1 to 9999)', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) && inStorableRange(new Date(value)) },
    });
}
