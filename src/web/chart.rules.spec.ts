import { DEFAULT_FRAME, dayKeys, lineChart, niceStep, shortDay, stackedBarChart, toSeries, yAxis } from './chart.rules';

describe('chart rules', () => {
  it('picks nice steps and axes that cover the data', () => {
    expect([0, 0.3, 1, 1.2, 3, 7, 12, 45, 180].map(niceStep)).toEqual([1, 1, 1, 2, 5, 10, 20, 50, 200]);
    expect(yAxis(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(yAxis(4)).toEqual({ max: 4, ticks: [0, 1, 2, 3, 4] });
    expect(yAxis(9)).toEqual({ max: 10, ticks: [0, 5, 10] });
    expect(yAxis(130)).toEqual({ max: 150, ticks: [0, 50, 100, 150] });
  });

  it('draws lines inside the plot, highest value at the top of the axis', () => {
    const c = lineChart(['a', 'b', 'c'], [{ name: 'Sent', cls: 's', values: [0, 5, 10] }]);
    const { top, left, right, bottom } = DEFAULT_FRAME.padding;
    expect(c.series[0].points).toBe(`${left},${DEFAULT_FRAME.height - bottom} ${left + (DEFAULT_FRAME.width - left - right) / 2},${(top + DEFAULT_FRAME.height - bottom) / 2} ${DEFAULT_FRAME.width - right},${top}`);
    expect(c.series[0].total).toBe(15);
    expect(c.yTicks.map((t) => t.label)).toEqual(['0', '5', '10']);
    expect(c.yTicks[0].y).toBe(c.baseline);
    expect(c.series[0].dots[2]).toEqual({ x: DEFAULT_FRAME.width - right, y: top, value: 10, label: 'c' });
  });

  it('labels every n-th x value counted back from the last, so labels never crowd', () => {
    const labels = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const c = lineChart(labels, [{ name: 'x', cls: 'x', values: labels.map(() => 1) }], { labelEvery: 7 });
    expect(c.xLabels.map((l) => l.label)).toEqual(['d1', 'd8', 'd15', 'd22', 'd29']);
  });

  it('stacks bars bottom up and leaves zero segments out', () => {
    const c = stackedBarChart(['mon', 'tue'], [
      { name: 'Hot', cls: 'hot', values: [2, 0] },
      { name: 'Warm', cls: 'warm', values: [2, 3] },
    ]);
    expect(c.yTicks.map((t) => t.label)).toEqual(['0', '1', '2', '3', '4']);
    const [mon, tue] = c.bars;
    expect(mon.total).toBe(4);
    expect(mon.segments.map((s) => s.cls)).toEqual(['hot', 'warm']);
    // the first segment sits on the baseline, the second right on top of it, reaching the top of the axis
    expect(mon.segments[0].y + mon.segments[0].height).toBeCloseTo(c.baseline, 0);
    expect(mon.segments[1].y + mon.segments[1].height).toBeCloseTo(mon.segments[0].y, 0);
    expect(mon.segments[1].y).toBe(DEFAULT_FRAME.padding.top);
    expect(tue.segments.map((s) => s.cls)).toEqual(['warm']);
    expect(c.legend).toEqual([
      { name: 'Hot', cls: 'hot', total: 2 },
      { name: 'Warm', cls: 'warm', total: 5 },
    ]);
    expect(tue.x).toBeGreaterThan(mon.x + mon.width);
  });

  it('lists UTC days and fills series with zeros', () => {
    const days = dayKeys(new Date('2026-03-02T23:30:00Z'), 3);
    expect(days).toEqual(['2026-02-28', '2026-03-01', '2026-03-02']);
    const s = toSeries(days, [
      { day: '2026-03-01', key: 'sent', n: 4 },
      { day: '2026-03-02', key: 'sent', n: 1 },
      { day: '2026-01-01', key: 'sent', n: 9 },
      { day: '2026-03-02', key: 'unknown', n: 9 },
    ], ['sent', 'opened']);
    expect(s).toEqual({ sent: [0, 4, 1], opened: [0, 0, 0] });
    expect(shortDay('2026-03-01')).toBe('1 Mar');
  });
});
