import type { StepSource, WorkflowContext, WorkflowSource } from './workflow.schema';
import type { ModelProblem } from '../common/yaml-model';
import { StepKind, WAIT_KINDS, WorkflowDefinition } from './workflow.types';

type Path = (string | number)[];
export interface Finding {
  path: Path;
  message: string;
}

export const STEP_ACTIONS = ['send', 'wait', 'branch', 'score', 'update', 'notify', 'goto', 'exit'] as const;
/** Words a target may use besides step ids, so they cannot be step ids themselves. */
export const TARGET_WORDS: ReadonlySet<string> = new Set(['next', 'end', 'exit']);

/** The kind a step will run as; null when it names no action or more than one (a problem elsewhere). */
export function stepKind(step: StepSource): StepKind | null {
  const given = STEP_ACTIONS.filter((a) => step[a] !== undefined);
  if (given.length !== 1) return null;
  const action = given[0];
  if (action !== 'wait') return action;
  const w = step.wait!;
  if (typeof w === 'string') return 'wait';
  if (w.event !== undefined && w.until === undefined) return 'wait-event';
  if (w.until !== undefined && w.event === undefined) return 'wait-until';
  return null;
}

/** An edge of the step graph: where a step may go, and the key that sends it there. */
export interface Edge {
  to: string;
  path: Path;
}

/** Outgoing edges by target text (step id, next, end or exit); `next` is left for the caller to resolve. */
export function edgesOf(step: StepSource, i: number): Edge[] {
  const at = (...p: Path): Path => ['steps', i, ...p];
  const next: Edge = { to: step.next ?? 'next', path: at(step.next ? 'next' : 'id') };
  switch (stepKind(step)) {
    case 'goto':
      return [{ to: step.goto!, path: at('goto') }];
    case 'exit':
    case null:
      return [];
    case 'branch': {
      const cases = step.branch!;
      const edges = cases.flatMap((c, j): Edge[] => [
        ...(c.goto ? [{ to: c.goto, path: at('branch', j, 'goto') }] : []),
        ...(c.else ? [{ to: c.else, path: at('branch', j, 'else') }] : []),
      ]);
      return cases.some((c) => c.else) ? edges : [...edges, { to: 'next', path: at('branch') }];
    }
    case 'wait-event': {
      const w = step.wait as Exclude<StepSource['wait'], string | undefined>;
      return [next, { to: w.onTimeout ?? next.to, path: at('wait', w.onTimeout ? 'onTimeout' : 'timeout') }];
    }
    default:
      return [next];
  }
}

function triggerProblems(m: WorkflowSource): Finding[] {
  const given = Object.keys(m.trigger ?? {});
  if (m.track) {
    if (m.trigger && (given.length !== 1 || m.trigger.temperature !== m.track)) {
      return [{ path: ['trigger'], message: `a ${m.track} track is entered when a lead becomes ${m.track}: leave trigger out, or write temperature: ${m.track}` }];
    }
    return [];
  }
  if (given.length === 1) return [];
  const kinds = 'lead-created, event, temperature, stage, manual or segment';
  return [{ path: ['trigger'], message: given.length ? `choose one trigger (found ${given.join(', ')})` : `give a trigger: ${kinds} (or make it a track)` }];
}

function goalProblems(m: WorkflowSource): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  (m.goals ?? []).forEach((g, i) => {
    if (seen.has(g.id)) out.push({ path: ['goals', i, 'id'], message: `duplicate goal id "${g.id}"` });
    seen.add(g.id);
    const given = (['stage', 'temperature', 'event', 'where'] as const).filter((k) => g[k] !== undefined);
    if (given.length !== 1) out.push({ path: ['goals', i], message: `a goal is one of stage, temperature, event or where${given.length ? ` (found ${given.join(', ')})` : ''}` });
  });
  return out;
}

/** Problems of one step on its own, and of its references to other steps. */
function stepProblems(step: StepSource, i: number, kinds: Map<string, StepKind | null>, ctx: WorkflowContext): Finding[] {
  const out: Finding[] = [];
  const at = (...p: Path): Path => ['steps', i, ...p];
  const refTo = (id: string, path: Path, what = 'step') => {
    if (!TARGET_WORDS.has(id) && !kinds.has(id)) out.push({ path, message: `no ${what} "${id}" in this workflow` });
  };
  const sendRef = (id: string, path: Path) => {
    if (!kinds.has(id)) out.push({ path, message: `no step "${id}" in this workflow` });
    else if (kinds.get(id) !== 'send') out.push({ path, message: `step "${id}" sends no email; clicks and opens are about a send step` });
  };

  if (TARGET_WORDS.has(step.id)) out.push({ path: at('id'), message: `"${step.id}" is a reserved word for targets; choose another id` });
  const actions = STEP_ACTIONS.filter((a) => step[a] !== undefined);
  if (actions.length !== 1) {
    out.push({ path: at(actions[1] ?? 'id'), message: actions.length ? `a step does one thing: choose one of ${actions.join(', ')}` : `give the step one of ${STEP_ACTIONS.join(', ')}` });
    return out;
  }
  const action = actions[0];
  if (step.persona !== undefined && action !== 'send') out.push({ path: at('persona'), message: 'persona only goes with send' });
  if (step.next !== undefined && (action === 'branch' || action === 'goto' || action === 'exit')) out.push({ path: at('next'), message: `a ${action} step chooses where to go itself; remove next` });
  if (step.next !== undefined) refTo(step.next, at('next'));

  switch (action) {
    case 'send':
      if (!ctx.templates.has(step.send!)) out.push({ path: at('send'), message: `no template "${step.send}" in templates/emails` });
      break;
    case 'goto':
      refTo(step.goto!, at('goto'));
      break;
    case 'wait': {
      const w = step.wait!;
      if (typeof w === 'string') break;
      const given = (['until', 'event'] as const).filter((k) => w[k] !== undefined);
      if (given.length !== 1) {
        out.push({ path: at('wait'), message: given.length ? 'wait for either a time (until) or an event, not both' : 'a wait needs a duration (3d), until or event' });
        break;
      }
      if (w.event === undefined) {
        for (const k of ['step', 'timeout', 'onTimeout'] as const) if (w[k] !== undefined) out.push({ path: at('wait', k), message: `${k} only goes with event` });
        break;
      }
      if (w.timeout === undefined) out.push({ path: at('wait', 'event'), message: 'give a timeout (e.g. timeout: 7d): a lead who never does it would wait forever' });
      if (w.onTimeout !== undefined) refTo(w.onTimeout, at('wait', 'onTimeout'));
      if (w.step !== undefined) {
        sendRef(w.step, at('wait', 'step'));
        const type = typeof w.event === 'string' ? w.event : w.event.type;
        if (!type.startsWith('email.')) out.push({ path: at('wait', 'step'), message: `step only goes with email events (email.clicked, email.opened); ${type} is not about an email` });
      }
      break;
    }
    case 'branch':
      step.branch!.forEach((c, j) => {
        const p = (...k: Path) => at('branch', j, ...k);
        if (c.else !== undefined) {
          if (c.when !== undefined || c.goto !== undefined) out.push({ path: p('else'), message: 'else stands alone: { else: <step> }' });
          if (j !== step.branch!.length - 1) out.push({ path: p('else'), message: 'else must be the last case' });
          refTo(c.else, p('else'));
          return;
        }
        if (c.when === undefined || c.goto === undefined) out.push({ path: p(c.when ? 'when' : 'goto'), message: 'a case is { when: { ... }, goto: <step> }' });
        if (c.goto !== undefined) refTo(c.goto, p('goto'));
        if (c.when !== undefined && Object.keys(c.when).length === 0) out.push({ path: p('when'), message: 'give at least one condition' });
        for (const key of ['clicked', 'opened'] as const) {
          const v = c.when?.[key];
          if (v === undefined) continue;
          const ids = Array.isArray(v) ? v : [v];
          if (!ids.every((id): id is string => typeof id === 'string')) out.push({ path: p('when', key), message: `${key} names send steps: ${key}: pain-1 or ${key}: [pain-1, pain-2]` });
          else ids.forEach((id) => sendRef(id, p('when', key)));
        }
      });
      break;
    case 'update': {
      const u = step.update!;
      if ((u.field === undefined) === (u.tag === undefined)) out.push({ path: at('update'), message: 'update either a field ({ field: attributes.x, value: ... }) or a tag ({ tag: x })' });
      else if (u.field !== undefined && u.value === undefined) out.push({ path: at('update', 'field'), message: 'give the value to set' });
      else if (u.tag !== undefined && u.value !== undefined) out.push({ path: at('update', 'value'), message: 'value only goes with field' });
      break;
    }
    case 'notify': {
      const n = step.notify!;
      if ((n.email === undefined) === (n.webhook === undefined)) out.push({ path: at('notify'), message: 'notify either an email address or a webhook' });
      break;
    }
  }
  return out;
}

/** Index of each step reached from the first; resolves `next` to the following step. */
function reachable(m: WorkflowSource, index: Map<string, number>): Set<number> {
  const seen = new Set<number>();
  const stack = [0];
  while (stack.length) {
    const i = stack.pop()!;
    if (seen.has(i) || i >= m.steps.length) continue;
    seen.add(i);
    for (const e of edgesOf(m.steps[i], i)) {
      const to = e.to === 'next' ? i + 1 : index.get(e.to);
      if (to !== undefined) stack.push(to);
    }
  }
  return seen;
}

/**
 * A cycle through steps that never wait would run until the step guard stops it, sending and
 * scoring on every lap. Depth-first search over the steps that do not wait; each edge back to a
 * step still on the path closes such a loop.
 */
function loopsWithoutWait(m: WorkflowSource, index: Map<string, number>): Finding[] {
  const waits = m.steps.map((s) => WAIT_KINDS.has(stepKind(s) ?? 'exit'));
  const state = new Array<0 | 1 | 2>(m.steps.length).fill(0);
  const out: Finding[] = [];
  const visit = (i: number) => {
    state[i] = 1;
    for (const e of edgesOf(m.steps[i], i)) {
      const to = e.to === 'next' ? i + 1 : index.get(e.to);
      if (to === undefined || to >= m.steps.length || waits[to]) continue;
      if (state[to] === 1) out.push({ path: e.path, message: `loops back to step "${m.steps[to].id}" without a wait: put a wait step in the loop` });
      else if (state[to] === 0) visit(to);
    }
    state[i] = 2;
  };
  m.steps.forEach((_, i) => state[i] === 0 && !waits[i] && visit(i));
  return out;
}

/** Every problem of a schema-valid workflow file; warnings do not stop it from loading. */
export function workflowProblems(m: WorkflowSource, ctx: WorkflowContext): { errors: Finding[]; warnings: Finding[] } {
  const errors: Finding[] = [...triggerProblems(m), ...goalProblems(m)];
  const kinds = new Map<string, StepKind | null>();
  const index = new Map<string, number>();
  m.steps.forEach((s, i) => {
    if (index.has(s.id)) errors.push({ path: ['steps', i, 'id'], message: `duplicate step id "${s.id}" (also step ${index.get(s.id)! + 1})` });
    else {
      index.set(s.id, i);
      kinds.set(s.id, stepKind(s));
    }
  });
  m.steps.forEach((s, i) => errors.push(...stepProblems(s, i, kinds, ctx)));

  // The graph is only meaningful once every reference resolves.
  if (errors.length === 0) {
    const seen = reachable(m, index);
    m.steps.forEach((s, i) => {
      if (!seen.has(i)) errors.push({ path: ['steps', i, 'id'], message: `step "${s.id}" is never reached: no step leads to it` });
    });
    errors.push(...loopsWithoutWait(m, index));
  }

  const warnings: Finding[] = [];
  if (m.track) {
    const first = new Map<string, string>();
    m.steps.forEach((s, i) => {
      if (s.send === undefined) return;
      const earlier = first.get(s.send);
      if (earlier) warnings.push({ path: ['steps', i, 'send'], message: `this track already sends "${s.send}" at step "${earlier}"; a track sends each template once, so this step will be skipped` });
      else first.set(s.send, s.id);
    });
  }
  return { errors, warnings };
}

/** Problems only the whole set of workflow files shows: keys are unique, and one track per temperature. */
export function workflowSetProblems(defs: readonly WorkflowDefinition[]): ModelProblem[] {
  const out: ModelProblem[] = [];
  const keys = new Map<string, WorkflowDefinition>();
  const tracks = new Map<string, WorkflowDefinition>();
  for (const d of defs) {
    const sameKey = keys.get(d.key);
    if (sameKey) out.push({ file: d.file, line: d.lines.key, path: 'key', message: `key "${d.key}" is also used by ${sameKey.file}` });
    else keys.set(d.key, d);
    if (d.track === null) continue;
    const sameTrack = tracks.get(d.track);
    if (sameTrack) out.push({ file: d.file, line: d.lines.track ?? d.lines.key, path: 'track', message: `${sameTrack.file} is already the ${d.track} track; a lead is in one track at a time` });
    else tracks.set(d.track, d);
  }
  return out;
}
