import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Clock } from '../../src/common/clock';
import { WorkflowScheduler } from '../../src/workflows/workflow-scheduler.service';
import { TestApp, bootTestApp } from '../support/test-app';
import { SmtpSink } from '../support/smtp-sink';
import { eventually } from '../support/wait';

/** The next time it is `hh:mm` on `weekday` (0 = Sunday) in Berlin, after `from`. */
function berlin(from: Date, weekday: number, hh: number, mm = 0): Date {
  for (let d = 0; d < 8; d++) {
    for (const offset of [1, 2]) {
      const day = new Date(from.getTime() + d * 86400_000);
      const t = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hh - offset, mm));
      const local = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(t);
      const get = (type: string) => local.find((p) => p.type === type)!.value;
      if (t > from && get('weekday') === ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][weekday] && Number(get('hour')) === hh && Number(get('minute')) === mm) return t;
    }
  }
  throw new Error('no such time');
}

interface Enrollment {
  workflow: string;
  status: string;
  step: string | null;
  waitingFor: string | null;
  nextRunAt: string | null;
  endReason: string | null;
}

describe('nurture engine', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let clock: Clock;
  let db: Client;
  let n = 0;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    const dir = mkdtempSync(join(tmpdir(), 'kindling-nurture-'));
    cpSync(join(__dirname, '../../workflows'), dir, { recursive: true });
    rmSync(join(dir, 'welcome.yaml'));
    writeFileSync(
      join(dir, 'policy.yaml'),
      "quietHours: { from: '20:00', to: '08:00' }\nallowedDays: [mon, tue, wed, thu, fri]\ndefaultTimezone: Europe/Berlin\nfrequencyCap: { max: 3, per: 7d }\n",
    );
    writeFileSync(join(dir, 'night-send.yaml'), 'key: night-send\nname: Night send\ntrigger: { manual: {} }\npriority: 1\nsteps:\n  - { id: s, send: demo-invitation }\n');
    writeFileSync(
      join(dir, 'notify-desk.yaml'),
      "key: notify-desk\nname: Tell the desk\ntrigger: { manual: {} }\nsteps:\n  - { id: tell, notify: { email: desk@corp.test, subject: 'A lead for the desk' } }\n",
    );
    writeFileSync(join(dir, 'urgent-send.yaml'), 'key: urgent-send\nname: Urgent send\ntrigger: { manual: {} }\npriority: 5\nsteps:\n  - { id: s, send: case-study-brightwater }\n');
    t = await bootTestApp({ redis: false, env: { SMTP_URL: sink.url, WORKFLOWS_DIR: dir, PUBLIC_URL: 'http://kindling.test', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
    clock = t.app.get(Clock);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await sink.stop();
  });

  const newLead = async (profile: Record<string, unknown> = {}) => {
    n++;
    return (await t.http.post('/v1/leads').set(t.auth).send({ email: `nurtured${n}@inbox.test`, firstName: `N${n}`, timezone: 'Europe/Berlin', ...profile })).body.lead.id as string;
  };
  const enrollments = async (id: string) => (await t.http.get(`/v1/leads/${id}/enrollments`).set(t.auth)).body.data as Enrollment[];
  const live = async (id: string, workflow = 'cold-track') => (await enrollments(id)).find((e) => e.status === 'waiting' && e.workflow === workflow);
  const receivedBy = (_id: string, email: string) => sink.to(email).map((m) => m.subject ?? '');
  const sendCount = async (id: string) => (await db.query(`SELECT count(*)::int AS n FROM email_sends WHERE lead_id = $1`, [id])).rows[0].n as number;
  /** moves the engine clock to `at` and runs what is due */
  const jumpTo = async (at: Date) => {
    const delta = at.getTime() - clock.now().getTime();
    if (delta > 0) clock.advance(delta);
    await t.app.get(WorkflowScheduler).tick();
  };

  it('puts a new lead into the cold track and sends the cold content in order on weekday mornings', async () => {
    const id = await newLead();
    const first = await eventually(async () => {
      const e = await live(id);
      return e && e.waitingFor !== 'due now' ? e : undefined;
    }, 'the lead to enter the cold track and wait for a weekday morning');
    expect(first.waitingFor).toMatch(/Europe\/Berlin/);
    for (const expected of [1, 2, 3]) {
      // jump from wait to wait until the step machine has queued the next email
      await eventually(async () => {
        if ((await sendCount(id)) >= expected) return true;
        const e = await live(id);
        if (e?.nextRunAt) await jumpTo(new Date(e.nextRunAt));
        return false;
      }, `cold email ${expected} to be queued`);
    }
    // queued_at is the engine clock at the step that sent it
    const sentAt = (await db.query(`SELECT queued_at FROM email_sends WHERE lead_id = $1 ORDER BY queued_at`, [id])).rows.map((r) => r.queued_at as Date);
    for (const at of sentAt) {
      const local = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
      expect(local).toMatch(/^(Tue|Wed|Thu) 09:30$/);
    }
    await eventually(() => sink.to(`nurtured${n}@inbox.test`).length === 3, 'three emails at the sink');
    const subjects = receivedBy(id, `nurtured${n}@inbox.test`);
    expect(subjects).toHaveLength(3);
    expect(new Set(subjects).size).toBe(3);
    // a cadence of days between the emails, each on a weekday morning in Berlin
    expect(sentAt[1].getTime() - sentAt[0].getTime()).toBeGreaterThan(4 * 86400_000);
    expect(sentAt[2].getTime() - sentAt[1].getTime()).toBeGreaterThan(4 * 86400_000);
  });

  it('moves a lead that warms up to the warm track mid-sequence and never sends anything twice', async () => {
    const id = await newLead();
    const email = `nurtured${n}@inbox.test`;
    await eventually(async () => (await live(id))?.waitingFor !== 'due now' && (await live(id)), 'the cold track');
    await eventually(async () => {
      if ((await sendCount(id)) >= 1) return true;
      const e = await live(id);
      if (e?.nextRunAt) await jumpTo(new Date(e.nextRunAt));
      return false;
    }, 'the first cold email');

    await t.http.post('/v1/events').set(t.auth).send({ leadId: id, type: 'content.downloaded', properties: { asset: 'close-playbook.pdf' } }).expect(202);
    await eventually(async () => (await live(id, 'warm-track')) ?? false, 'the warm track');
    const cold = (await enrollments(id)).find((e) => e.workflow === 'cold-track')!;
    expect(cold).toMatchObject({ status: 'exited', endReason: 'moved to warm' });

    for (let i = 0; i < 40 && (await live(id, 'warm-track')); i++) {
      const e = (await live(id, 'warm-track'))!;
      if (e.nextRunAt) await jumpTo(new Date(e.nextRunAt));
      await new Promise((r) => setTimeout(r, 100));
    }
    const templates = (await db.query(`SELECT template FROM email_sends WHERE lead_id = $1 ORDER BY queued_at`, [id])).rows.map((r) => r.template as string);
    expect(templates.length).toBeGreaterThanOrEqual(3);
    expect(new Set(templates).size).toBe(templates.length);
    expect(templates.slice(1)).toEqual(expect.arrayContaining(['ebook-close-playbook']));
    await eventually(() => sink.to(email).length === templates.length, 'every queued email at the sink');
  });

  it('holds a send due at night until the morning in the lead\'s time zone', async () => {
    const id = await newLead({ timezone: 'America/New_York' });
    await jumpTo(berlin(clock.now(), 3, 5)); // Wednesday 05:00 in Berlin is 23:00 Tuesday in New York
    const res = await t.http.post('/v1/workflows/night-send/enroll').set(t.auth).send({ leadIds: [id] });
    expect(res.body).toEqual({ enrolled: 1, skipped: [] });
    await t.app.get(WorkflowScheduler).tick();
    const waiting = await eventually(async () => {
      const e = await live(id, 'night-send');
      return e && e.waitingFor !== 'due now' ? e : undefined;
    }, 'the night send to be held');
    expect(waiting.waitingFor).toMatch(/quiet hours until .*08:00 America\/New_York/);
    const local = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(waiting.nextRunAt!));
    expect(local).toBe('08:00');
    expect(await sendCount(id)).toBe(0);
  });

  it('lets the higher-priority email take the last slot of the frequency cap and holds the other', async () => {
    // the new lead's cold track would compete for the same slot; keep it out of this one
    await t.http.post('/v1/workflows/cold-track/pause').set(t.auth).expect(200);
    const id = await newLead();
    await jumpTo(berlin(clock.now(), 3, 11)); // a Wednesday late morning: inside the allowed window
    for (const key of ['cap-1', 'cap-2']) await t.http.post('/v1/sends').set(t.auth).send({ leadId: id, template: 'cfo-visibility', idempotencyKey: `${key}-${id}` }).expect(202);
    // two marketing emails earlier today, on the engine's (advanced) clock
    await db.query(`UPDATE email_sends SET queued_at = $2, sent_at = $2 WHERE lead_id = $1`, [id, new Date(clock.now().getTime() - 3600_000)]);
    for (const wf of ['night-send', 'urgent-send']) await t.http.post(`/v1/workflows/${wf}/enroll`).set(t.auth).send({ leadIds: [id] }).expect(200);
    await t.app.get(WorkflowScheduler).tick();
    await eventually(async () => (await live(id, 'urgent-send')) === undefined, 'the urgent send to go');
    const low = await eventually(async () => {
      const e = await live(id, 'night-send');
      return e && e.waitingFor !== 'due now' ? e : undefined;
    }, 'the low-priority send to be held');
    expect(low.waitingFor).toMatch(/priority|frequency cap/);
    const templates = (await db.query(`SELECT template FROM email_sends WHERE lead_id = $1 AND enrollment_id IS NOT NULL`, [id])).rows.map((r) => r.template);
    expect(templates).toEqual(['case-study-brightwater']);
    await t.http.post('/v1/workflows/cold-track/resume').set(t.auth).expect(200);
  });

  it('refuses to enroll unknown leads and writes nothing', async () => {
    const id = await newLead();
    const res = await t.http.post('/v1/workflows/night-send/enroll').set(t.auth).send({ leadIds: [id, '01939f5e-0000-7000-8000-000000000000'] });
    expect(res.status).toBe(404);
    expect(res.body.error.details).toEqual([{ path: 'leadIds.1', message: 'no lead 01939f5e-0000-7000-8000-000000000000' }]);
    expect(await live(id, 'night-send')).toBeUndefined();
    expect((await t.http.post('/v1/workflows/nope/enroll').set(t.auth).send({ leadIds: [id] })).status).toBe(404);
  });

  it('a notify step with an email address sends one untracked internal email to that address', async () => {
    const id = await newLead({ company: 'Desk Corp' });
    expect((await t.http.post('/v1/workflows/notify-desk/enroll').set(t.auth).send({ leadIds: [id] })).body.enrolled).toBe(1);
    await t.app.get(WorkflowScheduler).tick();
    const mail = await eventually(async () => sink.to('desk@corp.test').find((m) => (m.text ?? '').includes('Desk Corp')), 'the notify email');
    expect(mail.subject).toBe('A lead for the desk');
    expect(mail.html).not.toMatch(/\/t\/[oc]\//);
    // the lead itself got nothing from this workflow
    const rows = await db.query(`SELECT count(*)::int AS n FROM email_sends WHERE lead_id = $1 AND template = 'workflow-notification'`, [id]);
    expect(rows.rows[0].n).toBe(1);
  });
});

describe('a broken workflow file', () => {
  it('does not stop the valid ones and is reported at /health with file:line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-broken-'));
    cpSync(join(__dirname, '../../workflows'), dir, { recursive: true });
    writeFileSync(join(dir, 'broken.yaml'), 'key: broken\nname: Broken\ntrigger: { manual: {} }\nsteps:\n  - { id: a, send: no-such-template }\n  - { id: b, goto: nowhere }\n');
    const t = await bootTestApp({ redis: false, env: { WORKFLOWS_DIR: dir } });
    try {
      const health = await t.http.get('/health');
      expect(health.status).toBe(200);
      expect(health.body.details.workflows.problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/broken\.yaml:5: .*no-such-template/), expect.stringMatching(/broken\.yaml:6: .*nowhere/)]),
      );
      const list = await t.http.get('/v1/workflows').set(t.auth);
      expect(list.body.data.map((w: { key: string }) => w.key)).toEqual(expect.arrayContaining(['cold-track', 'warm-track', 'hot-track', 'welcome']));
      expect(list.body.data.map((w: { key: string }) => w.key)).not.toContain('broken');
    } finally {
      await t.close();
    }
  });
});
