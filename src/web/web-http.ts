import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { cookieSecret } from './web-auth.rules';
import { createViewEngine } from './view-engine';

/**
 * Views and assets sit beside the compiled code (`npm run build` copies them into dist/src/web).
 * A build made by swc alone (benchmarks, ad-hoc builds) has none there: the source tree's are used.
 */
const webDir = (name: string, marker: string) =>
  [join(__dirname, name), resolve(__dirname, '../../../src/web', name), resolve('src/web', name)].find((d) => existsSync(join(d, marker))) ?? join(__dirname, name);
export const VIEWS_DIR = webDir('views', 'layouts/main.hbs');
export const ASSETS_DIR = webDir('assets', 'app.css');

export const SESSION_COOKIE = 'kindling_session';
/** Double-submit token for the forms shown before there is a session (sign-in, first admin). */
export const PRE_SESSION_COOKIE = 'kindling_form';

/**
 * Plugs the web app into Fastify: signed cookies, Handlebars views and local assets. Call before
 * the app is initialised.
 */
export async function registerWeb(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  // HTML form bodies (urlencoded) are parsed by Nest's own Fastify body parser
  await app.register(fastifyCookie, { secret: cookieSecret(config.secretKey) });
  await app.register(fastifyView, {
    engine: { handlebars: createViewEngine(VIEWS_DIR) },
    root: VIEWS_DIR,
    layout: 'layouts/main.hbs',
    // templates are read once per process outside development
    production: config.env !== 'development',
  });
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/app/assets/',
    // Swagger registers @fastify/static as well; the reply may be decorated once only
    decorateReply: false,
    maxAge: config.env === 'production' ? '1d' : 0,
  });
}

export function cookieOptions(config: AppConfig, maxAgeSeconds?: number) {
  return { path: '/app', httpOnly: true, sameSite: 'lax' as const, secure: config.publicUrl.startsWith('https://'), signed: true, maxAge: maxAgeSeconds };
}

/** The value of a signed cookie, or undefined when it is missing or its signature does not hold. */
export function readSignedCookie(req: FastifyRequest, name: string): string | undefined {
  const raw = req.cookies?.[name];
  if (!raw) return undefined;
  const r = req.unsignCookie(raw);
  return r.valid && r.value ? r.value : undefined;
}

export function setSignedCookie(reply: FastifyReply, config: AppConfig, name: string, value: string, maxAgeSeconds?: number): void {
  void reply.setCookie(name, value, cookieOptions(config, maxAgeSeconds));
}

export function clearCookie(reply: FastifyReply, config: AppConfig, name: string): void {
  void reply.clearCookie(name, cookieOptions(config));
}
