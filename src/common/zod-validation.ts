import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { ErrorDetail, ValidationError } from './app-error';

export function zodIssuesToDetails(issues: readonly z.core.$ZodIssue[], prefix = ''): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(root)',
    message: issue.message,
  }));
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`Invalid ${what}`, zodIssuesToDetails(result.error.issues));
  return result.data;
}

/** `@Body(new ZodPipe(schema))`: the zod schema is the single source of validation and of the OpenAPI docs. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}
  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    return parseOrThrow(this.schema, value, metadata.type === 'custom' ? 'input' : `request ${metadata.type}`);
  }
}
