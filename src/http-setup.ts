import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { MetricsService } from './observability/metrics.service';
import { registerWeb } from './web/web-http';

type ExtraImports = Parameters<typeof AppModule.forRoot>[2];

/** Default body limit; routes that take files raise their own (see LARGE_BODY_ROUTES). */
export const BODY_LIMIT_BYTES = 5 * 1024 * 1024;
const LARGE_BODY_ROUTES: Record<string, number> = { '/v1/leads/import': 200 * 1024 * 1024 };
const STREAMED_TYPES = ['text/csv', 'application/csv', 'application/x-ndjson', 'application/ndjson'];

/** The HTTP application (APP_ROLE all or api). Not listening yet. */
export async function createHttpApp(config: AppConfig, databaseUrl: string, extra: ExtraImports = []): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: true, return503OnClosing: true });
  const fastify = adapter.getInstance();
  fastify.addHook('onRoute', (route) => {
    const limit = LARGE_BODY_ROUTES[route.url];
    if (limit) route.bodyLimit = limit;
  });
  // CSV and NDJSON reach the handler as a stream so imports never hold the whole file
  fastify.addContentTypeParser(STREAMED_TYPES, (_req, payload, done) => done(null, payload));
  // Amazon SNS posts its JSON as text/plain; handlers that accept it parse it themselves
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, extra), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Kindling API')
      .setDescription('Leads, behaviour events, nurture workflows and sales hand-off. Authenticate with `Authorization: Bearer <api key>`.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  await registerWeb(app, config);
  await initOrClose(app);
  return app;
}

/** The worker process (APP_ROLE=worker): job consumers and schedulers, no HTTP. */
export async function createWorkerContext(config: AppConfig, databaseUrl: string, extra: ExtraImports = []): Promise<INestApplicationContext> {
  const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, databaseUrl, extra), { bufferLogs: true, abortOnError: false });
  ctx.useLogger(ctx.get(Logger));
  await initOrClose(ctx);
  return ctx;
}

/** A boot check that fails in init (bad job registry, broken templates) must not leave pools open. */
async function initOrClose(app: INestApplicationContext): Promise<void> {
  try {
    await app.init();
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
}
