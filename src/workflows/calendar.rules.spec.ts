import { describeInstant, nextWeekdayTime, validZone, zonedTime } from './calendar.rules';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const TUE = 2;
const THU = 4;

describe('nextWeekdayTime', () => {
  it('finds the next matching weekday at the time, today included when the time is still ahead', () => {
    // Mon 2026-06-01
    expect(iso(nextWeekdayTime(at('2026-06-01T08:00:00Z'), [TUE, THU], '09:00', null))).toBe('2026-06-02T09:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-06-02T08:59:00Z'), [TUE, THU], '09:00', null))).toBe('2026-06-02T09:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-06-02T09:00:00Z'), [TUE, THU], '09:00', null))).toBe('2026-06-02T09:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-06-02T09:00:01Z'), [TUE, THU], '09:00', null))).toBe('2026-06-04T09:00:00.000Z');
    // Thursday after the time: a week later, on Tuesday
    expect(iso(nextWeekdayTime(at('2026-06-04T10:00:00Z'), [TUE, THU], '09:00', null))).toBe('2026-06-09T09:00:00.000Z');
    // the same weekday after the time: seven days on
    expect(iso(nextWeekdayTime(at('2026-06-02T10:00:00Z'), [TUE], '09:00', 'UTC'))).toBe('2026-06-09T09:00:00.000Z');
  });

  it('takes any day when no weekday is given', () => {
    expect(iso(nextWeekdayTime(at('2026-06-06T10:00:00Z'), [], '09:00', null))).toBe('2026-06-07T09:00:00.000Z');
  });

  it("reads weekday and time in the lead's zone: a Tuesday in Tokyo starts on Monday in UTC", () => {
    // Mon 2026-06-01 20:00Z is Tue 05:00 in Tokyo
    expect(iso(nextWeekdayTime(at('2026-06-01T20:00:00Z'), [TUE], '09:00', 'Asia/Tokyo'))).toBe('2026-06-02T00:00:00.000Z');
  });

  it('keeps 09:00 local across the spring DST change in Europe/Berlin (29 Mar 2026)', () => {
    // Fri 2026-03-27 10:00 CET → Tue 31 Mar 09:00 CEST (UTC+2)
    expect(iso(nextWeekdayTime(at('2026-03-27T09:00:00Z'), [TUE], '09:00', 'Europe/Berlin'))).toBe('2026-03-31T07:00:00.000Z');
    // the week before: CET (UTC+1)
    expect(iso(nextWeekdayTime(at('2026-03-20T09:00:00Z'), [TUE], '09:00', 'Europe/Berlin'))).toBe('2026-03-24T08:00:00.000Z');
  });

  it('keeps 09:00 local across the autumn DST change in Europe/Berlin (25 Oct 2026)', () => {
    expect(iso(nextWeekdayTime(at('2026-10-23T08:00:00Z'), [TUE], '09:00', 'Europe/Berlin'))).toBe('2026-10-27T08:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-10-16T08:00:00Z'), [TUE], '09:00', 'Europe/Berlin'))).toBe('2026-10-20T07:00:00.000Z');
  });

  it('keeps 09:00 local across both DST changes in America/New_York (8 Mar and 1 Nov 2026)', () => {
    expect(iso(nextWeekdayTime(at('2026-03-06T15:00:00Z'), [TUE], '09:00', 'America/New_York'))).toBe('2026-03-10T13:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-02-27T15:00:00Z'), [TUE], '09:00', 'America/New_York'))).toBe('2026-03-03T14:00:00.000Z');
    expect(iso(nextWeekdayTime(at('2026-10-30T15:00:00Z'), [TUE], '09:00', 'America/New_York'))).toBe('2026-11-03T14:00:00.000Z');
  });

  it('moves a time the clocks skip forward by the gap, and takes the first of a time that happens twice', () => {
    const SUN = 0;
    // 02:30 does not exist in Berlin on 29 Mar 2026: 03:30 CEST
    expect(iso(nextWeekdayTime(at('2026-03-28T12:00:00Z'), [SUN], '02:30', 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice in Berlin on 25 Oct 2026: the CEST one
    expect(iso(nextWeekdayTime(at('2026-10-24T12:00:00Z'), [SUN], '02:30', 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    // 01:30 happens twice in New York on 1 Nov 2026: the EDT one
    expect(iso(nextWeekdayTime(at('2026-10-31T12:00:00Z'), [SUN], '01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    // from between the two 01:30s: that day's 01:30 has passed, so a week on
    expect(iso(nextWeekdayTime(at('2026-11-01T05:45:00Z'), [SUN], '01:30', 'America/New_York'))).toBe('2026-11-08T06:30:00.000Z');
  });

  it('falls back to UTC for an unknown zone', () => {
    expect(validZone('Mars/Olympus')).toBe('UTC');
    expect(validZone(null)).toBe('UTC');
    expect(validZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(iso(nextWeekdayTime(at('2026-06-01T08:00:00Z'), [TUE], '09:00', 'Mars/Olympus'))).toBe('2026-06-02T09:00:00.000Z');
  });
});

describe('zonedTime and describeInstant', () => {
  it('round-trip a wall-clock time', () => {
    const t = zonedTime(2026, 7, 14, 18, 45, 'America/Los_Angeles');
    expect(iso(new Date(t))).toBe('2026-07-15T01:45:00.000Z');
    expect(describeInstant(new Date(t), 'America/Los_Angeles')).toBe('Tue 2026-07-14 18:45 America/Los_Angeles');
    expect(describeInstant(new Date(t), null)).toBe('Wed 2026-07-15 01:45 UTC');
  });
});
