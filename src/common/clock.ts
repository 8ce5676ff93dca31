import { Injectable } from '@nestjs/common';

/**
 * The engine's notion of now. Timers and waits read it instead of Date.now(), so tests (and
 * the demo's accelerated weeks) can move time forward without sleeping.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves time forward (tests, demo). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
