import { registerDecorator, ValidationOptions } from 'class-validator';

/** A UTF-16 half without its other half: not valid Unicode, so neither storable as UTF-8 nor echoed back faithfully. */
export const LONE_SURROGATE = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';

/** Control characters (C0, DEL, C1) and lone surrogates. */
const NOT_PLAIN = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f]|${LONE_SURROGATE}`);

/**
 * A string of printable text: no control characters (NUL would be a database error, the others
 * have no place in a name or a search) and no lone surrogates (not valid Unicode, so not storable
 * as UTF-8 nor echoed back faithfully).
 */
export function IsPlainText(limits: { maxCodePoints?: number } = {}, options?: ValidationOptions): PropertyDecorator {
  const max = limits.maxCodePoints;
  // Counted as PostgreSQL counts varchar(n): in code points (class-validator's MaxLength skips variation selectors).
  const message = max === undefined ? '$property must not contain control characters or invalid Unicode' : `$property must be at most ${max} characters, without control characters or invalid Unicode`;
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && !NOT_PLAIN.test(value) && (max === undefined || [...value].length <= max) },
    });
}
