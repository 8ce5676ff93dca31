import { Controller, Get, Head, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { renderUnsubscribePage } from './unsubscribe.page';
import { TrackingService } from './tracking.service';
import { UnsubscribeService, UnsubscribeView } from './unsubscribe.service';
import { TemplateRegistryService } from '../email/template-registry.service';

const UNSUBSCRIBE_PAGE = 'unsubscribed';

// 1x1 transparent GIF
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_CACHE = 'no-store, no-cache, must-revalidate, private, max-age=0';

const facts = (req: FastifyRequest) => ({ method: req.method, userAgent: req.headers['user-agent'], ip: req.ip });

/** The public endpoints recipients' mail clients hit: open pixel, click redirect, unsubscribe. */
@Public()
@ApiExcludeController()
@Controller()
export class TrackingController {
  constructor(
    private readonly tracking: TrackingService,
    private readonly unsubscribes: UnsubscribeService,
    private readonly templates: TemplateRegistryService,
  ) {}

  /** The marketer's page template (templates/pages/unsubscribed.mjml) when there is one, else a built-in page. */
  private page(view: UnsubscribeView, state: 'confirm' | 'done'): string {
    const done = state === 'done' || view.alreadyUnsubscribed;
    if (!this.templates.list().some((t) => t.name === UNSUBSCRIBE_PAGE)) return renderUnsubscribePage(view, state);
    return this.templates.render(UNSUBSCRIBE_PAGE, { lead: { email: '' }, extra: { maskedEmail: view.maskedEmail, done } }).html;
  }

  @Get('t/o/:token')
  @Head('t/o/:token')
  async open(@Param('token') token: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    await this.tracking.open(token.replace(/\.gif$/, ''), facts(req));
    return reply.header('content-type', 'image/gif').header('cache-control', NO_CACHE).header('pragma', 'no-cache').send(PIXEL);
  }

  @Get('t/c/:token')
  @Head('t/c/:token')
  async click(@Param('token') token: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const target = await this.tracking.click(token, facts(req));
    return reply.header('cache-control', NO_CACHE).header('referrer-policy', 'no-referrer').redirect(target, 302);
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
