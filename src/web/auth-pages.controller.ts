import { Controller, Get, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { AuthPagesService } from './auth-pages.service';
import { SESSION_COOKIE, readSignedCookie } from './web-http';
import { WebErrorFilter } from './web-error.filter';
import { WebRenderer } from './web-render';
import { Anonymous, WebRequest, WebSessionGuard } from './web-session.guard';

/** Pages anyone may open: sign-in, sign-out and the first admin. Not part of the API (no key). */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebErrorFilter)
@Controller('app')
export class AuthPagesController {
  constructor(
    private readonly pages: AuthPagesService,
    private readonly out: WebRenderer,
  ) {}

  @Anonymous()
  @Get('login')
  loginPage(@Req() req: WebRequest, @Res() reply: FastifyReply, @Query('next') next: unknown) {
    return this.out.send(req, reply, this.pages.loginPage(req.webUser, next));
  }

  @Anonymous()
  @Post('login')
  async login(@Req() req: WebRequest, @Res() reply: FastifyReply) {
    return this.out.send(req, reply, await this.pages.login(req.body, req.ip));
  }

  @Post('logout')
  async logout(@Req() req: WebRequest, @Res() reply: FastifyReply) {
    return this.out.send(req, reply, await this.pages.logout(readSignedCookie(req, SESSION_COOKIE)));
  }

  @Anonymous()
  @Get('setup')
  async setupPage(@Req() req: WebRequest, @Res() reply: FastifyReply, @Query('token') token: unknown) {
    return this.out.send(req, reply, await this.pages.setupPage(token));
  }

  @Anonymous()
  @Post('setup')
  async setup(@Req() req: WebRequest, @Res() reply: FastifyReply) {
    return this.out.send(req, reply, await this.pages.setup(req.body));
  }
}
