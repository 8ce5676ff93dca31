import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { AppPagesService } from './app-pages.service';
import { WebErrorFilter } from './web-error.filter';
import { WebRenderer } from './web-render';
import { Roles, WebRequest, WebSessionGuard } from './web-session.guard';

/** The signed-in pages. @Public() only opts out of API keys: the session guard protects every route. */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebErrorFilter)
@Controller('app')
export class AppPagesController {
  constructor(
    private readonly pages: AppPagesService,
    private readonly out: WebRenderer,
  ) {}

  @Get()
  async dashboard(@Req() req: WebRequest, @Res() reply: FastifyReply) {
    return this.out.send(req, reply, await this.pages.dashboard(req.webUser!));
  }

  @Get('leads')
  async leads(@Req() req: WebRequest, @Res() reply: FastifyReply, @Query() query: unknown) {
    return this.out.send(req, reply, await this.pages.leads(req.webUser!, query));
  }

  @Get('leads/:id')
  async lead(@Req() req: WebRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.out.send(req, reply, await this.pages.lead(req.webUser!, id));
  }

  @Roles('rep')
  @Get('my-leads')
  async myLeads(@Req() req: WebRequest, @Res() reply: FastifyReply, @Query('done') done: string | undefined) {
    return this.out.send(req, reply, await this.pages.myLeads(req.webUser!, done));
  }

  @Roles('rep')
  @Post('my-leads/:assignmentId')
  async act(@Req() req: WebRequest, @Res() reply: FastifyReply, @Param('assignmentId') id: string) {
    return this.out.send(req, reply, await this.pages.act(req.webUser!, id, req.body));
  }
}
