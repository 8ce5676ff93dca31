import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { RepActionsService } from './rep-actions.service';

const HTML = 'text/html; charset=utf-8';

/** The links in a rep's email: a page to look at (GET changes nothing) and its forms (POST, once). */
@ApiExcludeController()
@Public()
@Controller('r')
export class RepActionsController {
  constructor(private readonly actions: RepActionsService) {}

  @Get(':token')
  async page(@Param('token') token: string, @Query('do') focus: string | undefined, @Res() reply: FastifyReply) {
    const page = await this.actions.page(token, focus);
    return reply.status(page.status).header('content-type', HTML).header('cache-control', 'no-store').send(page.html);
  }

  @Post(':token')
  async act(@Param('token') token: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const page = await this.actions.act(token, req.body);
    return reply.status(page.status).header('content-type', HTML).header('cache-control', 'no-store').send(page.html);
  }
}
