export interface ErrorDetail {
  path: string;
  message: string;
}

/** HTTP status each error kind maps to; features pick a kind, never a status. */
export const ERROR_STATUS = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
} as const;
export type ErrorKind = keyof typeof ERROR_STATUS;

/**
 * Base of every feature's typed error. A feature declares its own subclass with its own code
 * enum (LeadError, JobError, ...); the one exception filter maps `kind` to the HTTP status.
 */
export abstract class AppError<Code extends string = string> extends Error {
  abstract readonly feature: string;
  constructor(
    readonly code: Code,
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError<'validation_failed'> {
  readonly feature = 'common';
  constructor(message: string, details: ErrorDetail[]) {
    super('validation_failed', 'invalid', message, details);
  }
}
