import { ValidationError } from 'class-validator';
import { AppError, ErrorDetail } from './app-error';

/** class-validator's tree, flattened to `{ field, message }` with dotted paths for nested fields. */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      // "property roles should not exist" reads better as "roles is not allowed".
      details.push({ field, message: message.replace(/^property (\S+) should not exist$/, '$1 is not an accepted field') });
    }
    if (error.children?.length) details.push(...validationDetails(error.children, field));
  }
  return details;
}

/** The error for members nobody accepts, worded as validation words it (above). */
export function unknownFieldsError(fields: string[]): AppError {
  return new AppError('validation_failed', 'Request validation failed', fields.slice(0, 20).map((field) => ({ field, message: `${field} is not an accepted field` })));
}
