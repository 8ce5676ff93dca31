import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError, ERROR_STATUS } from '../common/app-error';
import { WebRenderer } from './web-render';
import { WebRequest } from './web-session.guard';
import { WebError } from './web.error';

/**
 * Errors on /app pages are pages too: sign-in needed → the sign-in page (coming back after),
 * known errors → a page with the message, anything else → logged and a plain apology.
 */
@Catch()
export class WebErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Web');

  constructor(private readonly renderer: WebRenderer) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<WebRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof WebError && exception.code === 'sign_in_required') {
      const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
      await this.renderer.send(req, reply, { redirect: `/app/login${next}` });
      return;
    }
    let status = 500;
    let message = 'Something went wrong on our side; it has been logged.';
    if (exception instanceof AppError) {
      status = ERROR_STATUS[exception.kind];
      message = exception.details.length ? `${exception.message}: ${exception.details.map((d) => `${d.path} ${d.message}`).join('; ')}` : exception.message;
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      status = exception.getStatus();
      message = status === 404 ? 'There is no such page' : exception.message;
    } else {
      this.logger.error({ err: exception, url: req.url }, 'web page failed');
    }
    const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Error' : 'Cannot do that';
    await this.renderer.send(req, reply, { view: 'error', title, status, data: { status, message } });
  }
}
