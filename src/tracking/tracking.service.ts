import { Inject, Injectable } from '@nestjs/common';
import { ActivityWriter } from '../activities/activity-writer.service';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Hit, HitClass, classifyHit } from './classification.rules';
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

@Injectable()
export class TrackingService {
  readonly urls: TrackingUrls;
  /** distinct links clicked per send in the last seconds: scanners click everything at once */
  private readonly recentClicks = new Map<string, { since: number; links: Set<number> }>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly writer: ActivityWriter,
    private readonly lookup: SendLookup,
  ) {
    this.urls = new TrackingUrls(config.publicUrl, config.secretKey, config.previousSecretKeys);
  }

  verify(raw: string, kind: TokenKind): TrackingToken {
    const token = verifyToken(raw, this.urls.accepted);
    if (!token || token.kind !== kind) throw new TrackingError('tracking_link_invalid', 'This link is not valid');
    return token;
  }

  /** Records the open durably (group commit) before the pixel is answered. */
  async open(raw: string, req: RequestFacts): Promise<HitClass> {
    const token = this.verify(raw, 'open');
    const classification = classifyHit({ kind: 'open', method: req.method, userAgent: req.userAgent, ip: req.ip, secondsSinceSent: undefined, distinctLinksClickedRecently: 0, linkCount: 0 });
    await this.writer.record({ id: uuidv7(), type: 'email.opened', occurredAt: new Date(), sendId: token.sendId, classification, ip: req.ip, userAgent: req.userAgent });
    return classification;
  }

  /** Returns the stored target of the link; the request never chooses where it goes. */
  async click(raw: string, req: RequestFacts): Promise<string> {
    const token = this.verify(raw, 'click');
    const send = await this.lookup.get(token.sendId);
    const target = send?.links[token.linkIndex];
    if (!send || !target) throw new TrackingError('tracking_link_invalid', 'This link is not valid');
    const hit: Hit = {
      kind: 'click',
      method: req.method,
      userAgent: req.userAgent,
      ip: req.ip,
      secondsSinceSent: send.sentAt ? (Date.now() - send.sentAt.getTime()) / 1000 : undefined,
      distinctLinksClickedRecently: this.noteClick(token.sendId, token.linkIndex),
      linkCount: send.links.length,
    };
    await this.writer.record({
      id: uuidv7(),
      leadId: send.leadId,
      type: 'email.clicked',
      occurredAt: new Date(),
      sendId: token.sendId,
      linkIndex: token.linkIndex,
      classification: classifyHit(hit),
      properties: { url: target },
      ip: req.ip,
      userAgent: req.userAgent,
    });
    return target;
  }

  private noteClick(sendId: string, linkIndex: number): number {
    const now = Date.now();
    if (this.recentClicks.size > 20_000) {
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
