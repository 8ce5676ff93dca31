import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** Documents a route from the same zod schemas that validate it. */
export function ApiZod(spec: { body?: z.ZodType; query?: z.ZodObject; response?: z.ZodType; status?: number }) {
  const decorators: MethodDecorator[] = [];
  if (spec.body) decorators.push(ApiBody({ schema: toOpenApiSchema(spec.body) }));
  if (spec.query) {
    for (const [name, field] of Object.entries(spec.query.shape)) {
      const fieldSchema = toOpenApiSchema(field as z.ZodType);
      decorators.push(
        ApiQuery({ name, required: !(field as z.ZodType).safeParse(undefined).success, schema: fieldSchema, description: fieldSchema.description as string | undefined }),
      );
    }
  }
  if (spec.response) {
    const schema = toOpenApiSchema(spec.response, 'output');
    decorators.push(spec.status && spec.status !== 200 ? ApiResponse({ status: spec.status, schema }) : ApiOkResponse({ schema }));
  }
  return applyDecorators(...decorators);
}

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});
