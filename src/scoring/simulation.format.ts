import { Mover, SimulationReport } from './simulation.service';

/** The what-if report as a terminal table, for the CLI. */
export function formatSimulation(r: SimulationReport): string {
  const row = (name: string, c: { before: number; after: number }) => `  ${name.padEnd(12)} ${String(c.before).padStart(8)} ${String(c.after).padStart(8)} ${signed(c.after - c.before).padStart(8)}`;
  const movers = (title: string, b: { count: number; sample: Mover[] }) =>
    [
      `${title}: ${b.count}`,
      ...b.sample.map(
        (m) =>
          `  ${m.email.padEnd(32)} ${m.before.stage} (${m.before.score}, ${m.before.grade ?? '-'}) -> ${m.after.stage} (${m.after.score}, ${m.after.grade ?? '-'})` +
          `  ${m.reasons.map((x) => `${x.rule} ${signed(x.points)}`).join(', ')}`,
      ),
    ].join('\n');
  return [
    `Replayed ${r.leads} leads. Current models scoring ${r.models.current.scoring} / grading ${r.models.current.grading}; candidate ${r.models.candidate.scoring} / ${r.models.candidate.grading}.`,
    '',
    `  ${'stage'.padEnd(12)} ${'before'.padStart(8)} ${'after'.padStart(8)} ${'change'.padStart(8)}`,
    ...Object.entries(r.stages).map(([k, v]) => row(k, v)),
    '',
    `  ${'temperature'.padEnd(12)} ${'before'.padStart(8)} ${'after'.padStart(8)} ${'change'.padStart(8)}`,
    ...Object.entries(r.temperatures).map(([k, v]) => row(k, v)),
    '',
    movers('Would become sales-ready', r.becameSalesReady),
    movers('Would stop being sales-ready', r.stoppedBeingSalesReady),
  ].join('\n');
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
