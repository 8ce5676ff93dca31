import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorkflow } from './workflow.schema';
import { simulateWorkflow } from './workflow-simulation.rules';
import { WorkflowDefinition } from './workflow.types';

const templates = new Set(['close-takes-too-long', 'reconciliation-errors', 'cfo-visibility', 'ebook-close-playbook']);
const def = (yaml: string): WorkflowDefinition => {
  const r = parseWorkflow(yaml, 'w.yaml', { templates });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.workflow;
};
const lead = { score: 0, grade: 'B', persona: 'user', temperature: 'cold', stage: 'awareness', timezone: 'Europe/Berlin' };
const start = new Date('2026-03-02T10:00:00Z'); // a Monday

describe('simulateWorkflow', () => {
  it('walks sends and waits with their dates', () => {
    const w = def('key: w\nname: W\ntrigger: { manual: {} }\nsteps:\n  - { id: a, send: close-takes-too-long }\n  - { id: p, wait: 3d }\n  - { id: b, send: reconciliation-errors }\n');
    const path = simulateWorkflow(w, lead, [], start);
    const sends = path.filter((p) => p.what.includes(': send '));
    expect(sends.map((s) => s.what)).toEqual(['a: send close-takes-too-long (user)', 'b: send reconciliation-errors (user)']);
    expect(sends[1].at.getTime() - sends[0].at.getTime()).toBe(3 * 86400_000);
    expect(path[path.length - 1].what).toMatch(/^completed/);
  });

  it('takes the event branch when the event arrives before the timeout', () => {
    const w = def(
      'key: w\nname: W\ntrigger: { manual: {} }\nsteps:\n  - { id: a, send: close-takes-too-long }\n  - { id: c, wait: { event: email.clicked, step: a, timeout: 7d, onTimeout: exit } }\n  - { id: b, send: reconciliation-errors }\n',
    );
    const click = { type: 'email.clicked', occurredAt: new Date(start.getTime() + 86400_000), properties: {}, stepId: 'a', classification: 'human' };
    expect(simulateWorkflow(w, lead, [click], start).some((p) => p.what.startsWith('b: send reconciliation-errors'))).toBe(true);
    expect(simulateWorkflow(w, lead, [], start).some((p) => p.what.startsWith('b: send reconciliation-errors'))).toBe(false);
  });

  it('simulates the shipped cold track to its end', () => {
    const cold = readFileSync(join(__dirname, '../../workflows/tracks/cold.yaml'), 'utf8');
    const all = new Set(readFileSync(join(__dirname, '../../workflows/tracks/cold.yaml'), 'utf8').match(/send: [a-z0-9-]+/g)!.map((s) => s.slice(6)));
    const r = parseWorkflow(cold, 'cold.yaml', { templates: all });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const path = simulateWorkflow(r.workflow, lead, [], start);
    expect(path.filter((p) => p.what.includes(': send ')).length).toBe(3);
  });
});
