import { performance } from 'node:perf_hooks';
import { assignScenario } from './scenarios/assign.bench';
import { importScenario } from './scenarios/import.bench';
import { ingestScenario } from './scenarios/ingest.bench';
import { renderScenario } from './scenarios/render.bench';
import { sendScenario } from './scenarios/send.bench';
import { stepsScenario } from './scenarios/steps.bench';
import { trackScenario } from './scenarios/track.bench';

/** One measured figure next to the baseline measured in the same run, so machine speed cancels out. */
export interface BenchResult {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  baseline: number;
  /** value / baseline: for throughput, the share of the baseline's speed the product reaches */
  ratio: number;
}

export interface BenchOptions {
  /** rows to generate; each scenario has its own default */
  rows?: number;
  /** how long a timed load runs; each scenario has its own default */
  seconds?: number;
  /** progress and diagnostics; always stderr, so --json output stays machine-readable */
  log: (message: string) => void;
}

export interface Scenario {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchResult[]>;
}

// Scenarios import this module for their types and helpers and this module imports them back to
// list them. The cycle is safe because scenarios only touch the helpers inside run().
const SCENARIOS: readonly Scenario[] = [importScenario, renderScenario, trackScenario, sendScenario, ingestScenario, stepsScenario, assignScenario];

export function scenarios(): readonly Scenario[] {
  return SCENARIOS;
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

export function result(scenario: string, metric: string, value: number, unit: string, baseline: number): BenchResult {
  return { scenario, metric, value: round(value), unit, baseline: round(baseline), ratio: baseline === 0 ? 0 : round(value / baseline, 3) };
}

/** Items per second, from a count and a duration in milliseconds. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The six keys in a fixed order, one object per line, for tools that diff runs. */
export function toJsonLine(r: BenchResult): string {
  return JSON.stringify({ scenario: r.scenario, metric: r.metric, value: r.value, unit: r.unit, baseline: r.baseline, ratio: r.ratio });
}

const COLUMNS = ['scenario', 'metric', 'value', 'unit', 'baseline', 'ratio'] as const;
const NUMERIC = new Set<string>(['value', 'baseline', 'ratio']);

export function formatTable(results: readonly BenchResult[]): string {
  const cells = results.map((r) => [r.scenario, r.metric, fmt(r.value), r.unit, fmt(r.baseline), `${r.ratio.toFixed(3)}x`]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (NUMERIC.has(COLUMNS[i]) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
