import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { renderUnsubscribePage } from './unsubscribe.page';
import { UnsubscribeService, UnsubscribeView } from './unsubscribe.service';
import { TemplateRegistryService } from '../email/template-registry.service';

const UNSUBSCRIBE_PAGE = 'unsubscribed';

const NO_CACHE = 'no-store, no-cache, must-revalidate, private, max-age=0';

/** The unsubscribe pages. The open pixel and click redirect, far hotter, are in tracking.routes.ts. */
@Public()
@ApiExcludeController()
@Controller()
export class TrackingController {
  constructor(
    private readonly unsubscribes: UnsubscribeService,
    private readonly templates: TemplateRegistryService,
  ) {}

  /** The marketer's page template (templates/pages/unsubscribed.mjml) when there is one, else a built-in page. */
  private page(view: UnsubscribeView, state: 'confirm' | 'done'): string {
    const done = state === 'done' || view.alreadyUnsubscribed;
    if (!this.templates.list().some((t) => t.name === UNSUBSCRIBE_PAGE)) return renderUnsubscribePage(view, state);
    return this.templates.render(UNSUBSCRIBE_PAGE, { lead: { email: '' }, extra: { maskedEmail: view.maskedEmail, done } }).html;
  }

  @Get('u/:token')
  async unsubscribePage(@Param('token') token: string, @Res() reply: FastifyReply) {
    const view = await this.unsubscribes.describe(token);
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', NO_CACHE).send(this.page(view, 'confirm'));
  }

  /** RFC 8058: mail clients POST "List-Unsubscribe=One-Click" here; the page's button posts a form. */
  @Post('u/:token')
  async unsubscribe(@Param('token') token: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fromPage = typeof req.body === 'object' && req.body !== null && 'confirm' in req.body;
    const view = await this.unsubscribes.unsubscribe(token, fromPage ? 'page' : 'one-click');
    return reply.status(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', NO_CACHE).send(this.page(view, 'done'));
  }
}
