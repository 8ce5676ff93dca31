import { STAGES, StagePolicy, TEMPERATURES, Temperature, TemperaturePolicy, nextTemperature, stageFor, stagePolicyProblems, temperaturePolicyProblems } from './lifecycle.rules';

// the Act-On reference model: 0-10 awareness, 11-29 interest, 30-39 MQL, 40+ to sales
const stages: StagePolicy = { interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: 'B-' };

const HOUR = 3_600_000;
const temps: TemperaturePolicy = { warm: { enter: 30, exit: 20 }, hot: { enter: 60, exit: 45 }, minTimeBeforeDropMs: 24 * HOUR };
const t0 = new Date('2025-03-01T09:00:00Z');
const after = (ms: number) => new Date(t0.getTime() + ms);

describe('stageFor', () => {
  it('follows the score thresholds, each the lowest total of its stage', () => {
    expect([0, 10, 11, 29, 30, 39, 40, 95].map((total) => stageFor(total, 'A', stages))).toEqual(['awareness', 'awareness', 'interest', 'interest', 'mql', 'mql', 'sales-ready', 'sales-ready']);
  });

  it('sends a top score to sales only with the minimum grade', () => {
    expect(stageFor(40, 'B-', stages)).toBe('sales-ready');
    expect(stageFor(40, 'C+', stages)).toBe('mql');
  });

  it('keeps a top-scoring student, or an ungraded lead, at mql', () => {
    expect(stageFor(120, 'D', stages)).toBe('mql');
    expect(stageFor(120, null, stages)).toBe('mql');
  });

  it('does not let a good grade lift a low score', () => {
    expect(stageFor(5, 'A+', stages)).toBe('awareness');
  });

  it('lists the stages and temperatures in funnel order', () => {
    expect(STAGES).toEqual(['awareness', 'interest', 'mql', 'sales-ready']);
    expect(TEMPERATURES).toEqual(['cold', 'warm', 'hot']);
  });
});

describe('nextTemperature', () => {
  it('rises at the enter threshold, at once', () => {
    expect(nextTemperature('cold', t0, 29, t0, temps)).toBe('cold');
    expect(nextTemperature('cold', t0, 30, t0, temps)).toBe('warm');
    expect(nextTemperature('warm', t0, 60, t0, temps)).toBe('hot');
  });

  it('jumps from cold to hot when the score passes both thresholds', () => {
    expect(nextTemperature('cold', t0, 75, after(1), temps)).toBe('hot');
  });

  /** plays hourly totals through nextTemperature and returns every temperature the lead took */
  function play(start: Temperature, totals: number[]): Temperature[] {
    let temp = start;
    let since = t0;
    const path: Temperature[] = [temp];
    totals.forEach((total, i) => {
      const now = after((i + 1) * HOUR);
      const next = nextTemperature(temp, since, total, now, temps);
      if (next !== temp) [temp, since] = [next, now];
      if (path[path.length - 1] !== temp) path.push(temp);
    });
    return path;
  }

  it('does not flap while the score hovers around a threshold', () => {
    expect(play('cold', [29, 31, 29, 30, 28, 31, 27])).toEqual(['cold', 'warm']);
    expect(play('hot', [61, 44, 59, 43, 62, 40])).toEqual(['hot']);
  });

  it('drops only after the minimum time in the current temperature', () => {
    expect(nextTemperature('warm', t0, 5, after(24 * HOUR - 1), temps)).toBe('warm');
    expect(nextTemperature('warm', t0, 5, after(24 * HOUR), temps)).toBe('cold');
  });

  it('stays while the score is at or above the exit threshold', () => {
    expect(nextTemperature('warm', t0, 20, after(30 * 24 * HOUR), temps)).toBe('warm');
    expect(nextTemperature('hot', t0, 45, after(30 * 24 * HOUR), temps)).toBe('hot');
  });

  it('drops one level when the score sits between the two exits', () => {
    expect(nextTemperature('hot', t0, 44, after(2 * 24 * HOUR), temps)).toBe('warm');
  });

  it('drops from hot to cold in one go when far below and the time has passed', () => {
    expect(nextTemperature('hot', t0, 3, after(2 * 24 * HOUR), temps)).toBe('cold');
    expect(nextTemperature('hot', t0, 3, after(HOUR), temps)).toBe('hot');
  });

  it('drops from hot to cold over two stays when the score falls in steps', () => {
    const warm = nextTemperature('hot', t0, 40, after(24 * HOUR), temps);
    expect(warm).toBe('warm');
    expect(nextTemperature(warm, after(24 * HOUR), 10, after(30 * HOUR), temps)).toBe('warm');
    expect(nextTemperature(warm, after(24 * HOUR), 10, after(48 * HOUR), temps)).toBe('cold');
  });

  it('never drops when since lies in the future (clock skew)', () => {
    expect(nextTemperature('hot', after(HOUR), 0, t0, temps)).toBe('hot');
  });
});

describe('policy checks', () => {
  it('accepts sound policies', () => {
    expect(stagePolicyProblems(stages)).toEqual([]);
    expect(temperaturePolicyProblems(temps)).toEqual([]);
  });

  it('explains unsound ones', () => {
    expect(stagePolicyProblems({ ...stages, mql: 50 })).toEqual(['thresholds must rise: interest 11 <= mql 50 <= salesReady 40']);
    expect(temperaturePolicyProblems({ warm: { enter: 30, exit: 35 }, hot: { enter: 25, exit: 20 }, minTimeBeforeDropMs: -1 })).toEqual([
      'warm.exit 35 must not be above warm.enter 30',
      'hot.enter 25 must not be below warm.enter 30',
      'hot.exit 20 must not be below warm.exit 35',
      'minTimeBeforeDropMs must not be negative',
    ]);
  });
});
