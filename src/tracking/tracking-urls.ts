import { SigningKey, TokenKind, signToken, signingKey } from './tracking-token.rules';

/** Builds the signed URLs put into emails; shared by the composer (delivery) and the tracking endpoints. */
export class TrackingUrls {
  readonly current: SigningKey;
  readonly accepted: SigningKey[];

  constructor(
    private readonly publicUrl: string,
    secretKey: string,
    previousKeys: string[] = [],
  ) {
    this.current = signingKey(secretKey);
    this.accepted = [this.current, ...previousKeys.map(signingKey)];
  }

  url(kind: TokenKind, sendId: string, linkIndex = 0): string {
    const path = kind === 'open' ? 't/o' : kind === 'click' ? 't/c' : 'u';
    return `${this.publicUrl}/${path}/${signToken({ kind, sendId, linkIndex }, this.current)}`;
  }
}
