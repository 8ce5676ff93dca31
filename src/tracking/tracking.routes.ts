import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS } from '../common/app-error';
import { RequestFacts, TrackingService } from './tracking.service';

// 1x1 transparent GIF
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_CACHE = 'no-store, no-cache, must-revalidate, private, max-age=0';
const PIXEL_HEADERS = { 'content-type': 'image/gif', 'cache-control': NO_CACHE, pragma: 'no-cache' };
const REDIRECT_HEADERS = { 'cache-control': NO_CACHE, 'referrer-policy': 'no-referrer' };

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

const facts = (req: FastifyRequest): RequestFacts => ({ method: req.method, userAgent: req.headers['user-agent'], ip: req.ip });

/**
 * The open pixel and the click redirect, the two endpoints every recipient's mail client hits,
 * registered as plain Fastify routes: a Nest route would add its router, guard and pipe layers to
 * each hit (they are public, take one path parameter and answer with bytes). The handlers stay
 * one-liners over TrackingService, as a controller's would; errors get the shape ErrorFilter gives.
 * The rest of the tracking endpoints (unsubscribe) are ordinary Nest routes in TrackingController.
 */
@Injectable()
export class TrackingRoutes implements OnModuleInit {
  private readonly logger = new Logger('TrackingRoutes');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tracking: TrackingService,
  ) {}

  onModuleInit(): void {
    // a worker process (APP_ROLE=worker) has no HTTP server
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.route({ method: ['GET', 'HEAD'], url: '/t/o/:token', handler: (req: TokenRequest, reply) => this.open(req, reply) });
    fastify.route({ method: ['GET', 'HEAD'], url: '/t/c/:token', handler: (req: TokenRequest, reply) => this.click(req, reply) });
  }

  private open(req: TokenRequest, reply: FastifyReply): Promise<FastifyReply> {
    const token = req.params.token;
    return this.answer(reply, this.tracking.open(token.endsWith('.gif') ? token.slice(0, -4) : token, facts(req)), () => reply.headers(PIXEL_HEADERS).send(PIXEL));
  }

  private click(req: TokenRequest, reply: FastifyReply): Promise<FastifyReply> {
    return this.answer(reply, this.tracking.click(req.params.token, facts(req)), (target) => reply.headers(REDIRECT_HEADERS).redirect(target, 302));
  }

  private async answer<T>(reply: FastifyReply, work: Promise<T>, ok: (result: T) => FastifyReply): Promise<FastifyReply> {
    let result: T;
    try {
      result = await work;
    } catch (e) {
      return this.fail(reply, e);
    }
    return ok(result);
  }

  private fail(reply: FastifyReply, e: unknown): FastifyReply {
    if (e instanceof AppError) {
      const error = e as AppError;
      return reply.status(ERROR_STATUS[error.kind]).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    this.logger.error({ err: e, url: reply.request.url }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged.', details: [] } });
  }
}
