import { TransformFnParams } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { normalizeEmail } from '../../users/email';

export const trimLower = ({ value }: TransformFnParams): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** A string that `normalizeEmail` accepts (SPEC §2); the message says which rule failed. */
export function IsAccountEmail(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAccountEmail',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normalizeEmail(value).ok,
        defaultMessage: (args: ValidationArguments) => {
          if (typeof args.value !== 'string') return `${args.property} must be a string`;
          const result = normalizeEmail(args.value);
          return result.ok ? `${args.property} is invalid` : `${args.property} ${result.message}`;
        },
      },
    });
}
