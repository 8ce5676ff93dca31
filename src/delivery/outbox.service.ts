import { Inject, Injectable } from '@nestjs/common';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryError } from './delivery.error';
import { MailTransport, OutboxSummary } from './mail-transport.service';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ID_RE = /^[0-9a-f-]{36}$/;
const STYLE = `<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left}a{color:#0b57d0}iframe{width:100%;height:70vh;border:1px solid #ccc}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}</style>`;

@Injectable()
export class OutboxService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transport: MailTransport,
  ) {}

  private get dir(): string {
    if (!this.transport.outboxDir || this.config.env === 'production') {
      throw new DeliveryError('outbox_disabled', 'The outbox exists only when SMTP_URL is unset (development)');
    }
    return this.transport.outboxDir;
  }

  async list(limit = 200): Promise<OutboxSummary[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const ids = files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort().reverse().slice(0, limit);
    return Promise.all(ids.map((id) => this.message(id)));
  }

  async message(id: string): Promise<OutboxSummary> {
    if (!ID_RE.test(id)) throw new DeliveryError('outbox_message_not_found', `No message ${id}`);
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as OutboxSummary;
    } catch {
      throw new DeliveryError('outbox_message_not_found', `No message ${id}`);
    }
  }

  async listPage(): Promise<string> {
    const rows = (await this.list())
      .map((m) => `<tr><td>${esc(m.date)}</td><td>${esc(m.to)}</td><td><a href="/dev/outbox/${m.id}">${esc(m.subject)}</a></td></tr>`)
      .join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Outbox</title>${STYLE}</head><body>
<h1>Outbox</h1><p>SMTP_URL is unset, so mail is written to ${esc(this.dir)} instead of being sent.</p>
<table><thead><tr><th>Date</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows || '<tr><td colspan="3">Nothing sent yet.</td></tr>'}</tbody></table></body></html>`;
  }

  async messagePage(id: string): Promise<string> {
    const m = await this.message(id);
    const headers = Object.entries({ From: m.from, To: m.to, Subject: m.subject, Date: m.date, 'Message-ID': m.messageId, ...m.headers })
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
      .join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(m.subject)}</title>${STYLE}</head><body>
<p><a href="/dev/outbox">&larr; Outbox</a></p><h1>${esc(m.subject)}</h1><table>${headers}</table>
<h2>HTML</h2><iframe title="HTML part" sandbox src="/dev/outbox/${m.id}/html"></iframe>
<h2>Text</h2><pre>${esc(m.text)}</pre></body></html>`;
  }
}
