import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { OutboxService } from './outbox.service';

/** Development outbox (SMTP_URL unset): what Kindling "sent", readable in a browser. */
@Public()
@ApiExcludeController()
@Controller('dev/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Get()
  async list(@Res() reply: FastifyReply) {
    return reply.header('content-type', 'text/html; charset=utf-8').send(await this.outbox.listPage());
  }

  @Get(':id')
  async show(@Param('id') id: string, @Res() reply: FastifyReply) {
    return reply.header('content-type', 'text/html; charset=utf-8').send(await this.outbox.messagePage(id));
  }

  @Get(':id/html')
  async html(@Param('id') id: string, @Res() reply: FastifyReply) {
    // the email's own HTML, shown in a sandboxed frame: no scripts, no same-origin access
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'")
      .send((await this.outbox.message(id)).html);
  }
}
