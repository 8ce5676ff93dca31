import { Injectable } from '@nestjs/common';
import { AttemptOutcome } from './webhook-retry.policy';

/** How much of an error response is kept in the delivery log. */
const SNIPPET_BYTES = 300;

/**
 * One POST with a hard deadline covering connect, headers and body alike. Redirects are not
 * followed (a 3xx is a failed attempt), so the signed request only ever reaches the URL that
 * was subscribed.
 */
@Injectable()
export class WebhookHttpClient {
  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptOutcome & { durationMs: number }> {
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: controller.signal });
      const ok = res.status >= 200 && res.status < 300;
      const error = ok ? undefined : await snippet(res);
      if (ok) await res.body?.cancel();
      return { status: res.status, error, durationMs: performance.now() - started };
    } catch (e) {
      const durationMs = performance.now() - started;
      if (controller.signal.aborted) return { status: null, error: `timed out after ${timeoutMs} ms`, timedOut: true, durationMs };
      return { status: null, error: networkError(e), timedOut: false, durationMs };
    } finally {
      clearTimeout(timer);
    }
  }
}

async function snippet(res: Response): Promise<string | undefined> {
  if (!res.body) return undefined;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < SNIPPET_BYTES) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel();
  const text = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
  return text || undefined;
}

/** fetch says "fetch failed"; the useful part (ECONNREFUSED, a TLS problem) is in the cause. */
function networkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (e as Error).message;
  return `connection failed: ${detail}`;
}
