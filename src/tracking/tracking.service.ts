import { Inject, Injectable } from '@nestjs/common';
import { ActivityWriter } from '../activities/activity-writer.service';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AgentClass, Hit, HitClass, agentClass, classifyHit } from './classification.rules';
import { RecentCache } from './recent.cache';
import { SendLookup } from './send-lookup.service';
import { TokenKind, TrackingToken, verifyToken } from './tracking-token.rules';
import { TrackingUrls } from './tracking-urls';
import { TrackingError } from './tracking.error';

export interface RequestFacts {
  method: string;
  userAgent?: string;
  ip?: string;
}

const RECENT_WINDOW_MS = 5000;
/** Tokens whose signature was checked: a mail client fetches the same pixel and links again and again. */
const VERIFIED_TOKENS = 50_000;
const AGENTS = 5_000;
/** Longer agents are classified every time: not worth a cache slot, and no real browser sends one. */
const MAX_CACHED_AGENT = 512;

@Injectable()
export class TrackingService {
  readonly urls: TrackingUrls;
  /** distinct links clicked per send in the last seconds: scanners click everything at once */
  private readonly recentClicks = new Map<string, { since: number; links: Set<number> }>();
  private recentSweptAt = 0;
  /** only tokens that passed verification are kept, keyed by the exact string: a changed byte misses */
  private readonly verified = new RecentCache<string, TrackingToken>(VERIFIED_TOKENS);
  private readonly agents = new RecentCache<string, AgentClass>(AGENTS);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly writer: ActivityWriter,
    private readonly lookup: SendLookup,
  ) {
    this.urls = new TrackingUrls(config.publicUrl, config.secretKey, config.previousSecretKeys);
  }

  verify(raw: string, kind: TokenKind): TrackingToken {
    let token = this.verified.get(raw);
    if (!token) {
      token = verifyToken(raw, this.urls.accepted);
      if (token) this.verified.set(raw, token);
    }
    if (!token || token.kind !== kind) throw new TrackingError('tracking_link_invalid', 'This link is not valid');
    return token;
  }

  /** Records the open durably (group commit) before the pixel is answered. */
  async open(raw: string, req: RequestFacts): Promise<HitClass> {
    const token = this.verify(raw, 'open');
    const hit: Hit = { kind: 'open', method: req.method, userAgent: req.userAgent, ip: req.ip, secondsSinceSent: undefined, distinctLinksClickedRecently: 0, linkCount: 0 };
    const classification = classifyHit(hit, this.agentOf(req.userAgent));
    await this.writer.record({ id: uuidv7(), type: 'email.opened', occurredAt: new Date(), sendId: token.sendId, classification, ip: req.ip, userAgent: req.userAgent });
    return classification;
  }

  /** Returns the stored target of the link; the request never chooses where it goes. */
  async click(raw: string, req: RequestFacts): Promise<string> {
    const token = this.verify(raw, 'click');
    const send = this.lookup.peek(token.sendId) ?? (await this.lookup.get(token.sendId));
    const target = send?.links[token.linkIndex];
    if (!send || !target) throw new TrackingError('tracking_link_invalid', 'This link is not valid');
    const now = Date.now();
    const hit: Hit = {
      kind: 'click',
      method: req.method,
      userAgent: req.userAgent,
      ip: req.ip,
      secondsSinceSent: send.sentAt ? (now - send.sentAt.getTime()) / 1000 : undefined,
      distinctLinksClickedRecently: this.noteClick(token.sendId, token.linkIndex, now),
      linkCount: send.links.length,
    };
    await this.writer.record({
      id: uuidv7(now),
      leadId: send.leadId,
      type: 'email.clicked',
      occurredAt: new Date(now),
      sendId: token.sendId,
      linkIndex: token.linkIndex,
      classification: classifyHit(hit, this.agentOf(req.userAgent)),
      properties: { url: target },
      ip: req.ip,
      userAgent: req.userAgent,
    });
    return target;
  }

  private agentOf(userAgent: string | undefined): AgentClass {
    const key = userAgent ?? '';
    if (key.length > MAX_CACHED_AGENT) return agentClass(userAgent);
    let agent = this.agents.get(key);
    if (agent === undefined) {
      agent = agentClass(userAgent);
      this.agents.set(key, agent);
    }
    return agent;
  }

  private noteClick(sendId: string, linkIndex: number, now: number): number {
    // at most one sweep per window: a burst over many sends must not pay a full scan per click
    if (this.recentClicks.size > 20_000 && now - this.recentSweptAt > RECENT_WINDOW_MS) {
      this.recentSweptAt = now;
      for (const [id, entry] of this.recentClicks) if (now - entry.since > RECENT_WINDOW_MS) this.recentClicks.delete(id);
    }
    let entry = this.recentClicks.get(sendId);
    if (!entry || now - entry.since > RECENT_WINDOW_MS) {
      entry = { since: now, links: new Set() };
      this.recentClicks.set(sendId, entry);
    }
    entry.links.add(linkIndex);
    return entry.links.size;
  }
}
