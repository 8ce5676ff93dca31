import { retryDelayMs } from './backoff.policy';

describe('retryDelayMs', () => {
  it('doubles per attempt within the jitter band', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(2000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(4000);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(60, 1000, () => 1, 10_000)).toBe(10_000);
  });
});
