import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, ErrorDetail } from './app-error';

interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** The one place errors become HTTP. Unknown errors are logged and answered without internals. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const [status, body] = this.toResponse(exception, request);
    if (status >= 500) this.logger.error({ err: exception, url: request?.url }, 'request failed');
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toResponse(exception: unknown, request: FastifyRequest | undefined): [number, ErrorBody] {
    if (exception instanceof AppError) {
      const error = exception as AppError;
      return [ERROR_STATUS[error.kind], { error: { code: error.code, message: error.message, details: error.details } }];
    }
    const fastifyStatus = (exception as { statusCode?: number } | null)?.statusCode;
    if (exception instanceof HttpException || (typeof fastifyStatus === 'number' && fastifyStatus < 500)) {
      const status = exception instanceof HttpException ? exception.getStatus() : (fastifyStatus as number);
      if (status < 500) {
        const message =
          status === 404 && request ? `No route for ${request.method} ${request.url.split('?')[0]}` : (exception as Error).message;
        return [status, { error: { code: HTTP_CODES[status] ?? 'client_error', message, details: [] } }];
      }
    }
    return [500, { error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged.', details: [] } }];
  }
}
