import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { compareGrades } from './grade.rules';
import { GradingModel, parseGradingModel } from './grading-model.schema';
import { gradeLead, gradeSignals } from './grading.rules';

function model(source: string): GradingModel {
  const r = parseGradingModel(source, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.model;
}

/** a model whose only persona holds one criterion, to test a matcher on its own */
const oneCriterion = (criterion: string) => model(`baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - ${criterion}\n`);
const matches = (criterion: string, lead: Record<string, unknown>) => gradeLead(oneCriterion(criterion), lead, []).persona === 'p';

describe('matchers', () => {
  it('matches: keywords as whole words, in any case', () => {
    const c = '{ field: jobTitle, matches: [ceo, vp, head of, Geschäftsführer], steps: 1 }';
    expect(matches(c, { jobTitle: 'Founder & CEO' })).toBe(true);
    expect(matches(c, { jobTitle: 'VP Finance' })).toBe(true);
    expect(matches(c, { jobTitle: 'Head  of\tControlling' })).toBe(true);
    expect(matches(c, { jobTitle: 'GESCHÄFTSFÜHRER' })).toBe(true);
    expect(matches(c, { jobTitle: 'SVP Sales' })).toBe(false);
    expect(matches(c, { jobTitle: 'Assistant to the CEOs' })).toBe(false);
    expect(matches(c, { jobTitle: 'Headhunter' })).toBe(false);
    expect(matches(c, { jobTitle: null })).toBe(false);
  });

  it('matches: a keyword starting with a symbol can sit inside a word', () => {
    const c = "{ field: email, matches: ['@gmail.com'], steps: -1 }";
    expect(matches(c, { email: 'jane@gmail.com' })).toBe(true);
    expect(matches(c, { email: 'jane@gmail.company.de' })).toBe(false);
    expect(matches(c, { email: 'jane@acme.de' })).toBe(false);
  });

  it('equals and in: any case, surrounding spaces ignored', () => {
    expect(matches('{ field: country, equals: DE, steps: 1 }', { country: ' de' })).toBe(true);
    expect(matches('{ field: country, equals: DE, steps: 1 }', { country: 'AT' })).toBe(false);
    expect(matches('{ field: attributes.purchasingPower, in: [high, very-high], steps: 1 }', { attributes: { purchasingPower: 'High' } })).toBe(true);
    expect(matches('{ field: attributes.purchasingPower, in: [high, very-high], steps: 1 }', { attributes: { purchasingPower: 'low' } })).toBe(false);
    expect(matches('{ field: consent, equals: true, steps: 1 }', { consent: true })).toBe(true);
  });

  it('between: both ends included, open ends, numbers sent as text', () => {
    const c = '{ field: companySize, between: [50, 5000], steps: 1 }';
    expect([49, 50, 5000, 5001].map((companySize) => matches(c, { companySize }))).toEqual([false, true, true, false]);
    expect(matches(c, { companySize: '250' })).toBe(true);
    expect(matches(c, { companySize: 'about 250' })).toBe(false);
    expect(matches(c, {})).toBe(false);
    expect(matches('{ field: attributes.age, between: [null, 25], steps: 1 }', { attributes: { age: 19 } })).toBe(true);
    expect(matches('{ field: attributes.age, between: [60, null], steps: 1 }', { attributes: { age: 59 } })).toBe(false);
  });

  it('exists: filled in or empty', () => {
    const filled = '{ field: company, exists: true, steps: 1 }';
    expect(matches(filled, { company: 'Acme' })).toBe(true);
    expect(matches(filled, { company: '  ' })).toBe(false);
    expect(matches('{ field: company, exists: false, steps: 1 }', { company: null })).toBe(true);
    expect(matches('{ field: attributes.interests, exists: false, steps: 1 }', { attributes: { interests: [] } })).toBe(true);
  });

  it('a list value matches when any of its items does', () => {
    expect(matches('{ field: attributes.interests, in: [erp], steps: 1 }', { attributes: { interests: ['crm', 'ERP'] } })).toBe(true);
  });
});

describe('gradeLead', () => {
  const personas = model(`baseGrade: C
personas:
  - id: first
    name: First
    criteria:
      - { id: title, field: jobTitle, matches: [director], steps: 1 }
  - id: two-criteria
    name: Two criteria
    criteria:
      - { id: a, field: jobTitle, matches: [director], steps: 2 }
      - { id: b, field: country, equals: DE, steps: -1 }
  - id: senior
    name: Senior
    criteria:
      - { id: md, field: jobTitle, matches: [managing director], steps: 3 }
adjustments:
  - { id: big, field: companySize, between: [1000, null], steps: 1 }
`);

  it('starts at the base grade and has no persona when nothing matches', () => {
    expect(gradeLead(personas, { jobTitle: 'Clerk' }, [])).toEqual({ grade: 'C', persona: null, matched: [] });
  });

  it('picks the persona giving the highest grade, not the first that matches', () => {
    const r = gradeLead(personas, { jobTitle: 'Managing Director' }, []);
    expect(r).toMatchObject({ grade: 'B', persona: 'senior' });
  });

  it('on equal grades prefers the persona with more matched criteria, then the one listed first', () => {
    // first: +1; two-criteria: +2 -1 = +1 with two criteria
    expect(gradeLead(personas, { jobTitle: 'Director', country: 'DE' }, [])).toMatchObject({ grade: 'C+', persona: 'two-criteria' });
    const tied = model(`baseGrade: C
personas:
  - { id: a, name: A, criteria: [{ field: jobTitle, matches: [lead], steps: 1 }] }
  - { id: b, name: B, criteria: [{ field: jobTitle, matches: [lead], steps: 1 }] }
`);
    expect(gradeLead(tied, { jobTitle: 'Team Lead' }, []).persona).toBe('a');
  });

  it('adds adjustments to the persona, or to the base grade when there is none', () => {
    expect(gradeLead(personas, { jobTitle: 'Managing Director', companySize: 2000 }, [])).toEqual({
      grade: 'B+',
      persona: 'senior',
      matched: [
        { persona: 'senior', criterion: 'md', steps: 3 },
        { persona: null, criterion: 'big', steps: 1 },
      ],
    });
    expect(gradeLead(personas, { companySize: 2000 }, [])).toMatchObject({ grade: 'C+', persona: null });
  });

  it('names a criterion by its id, else its label, else what it reads', () => {
    const m = model(`baseGrade: C
personas:
  - { id: p, name: P, criteria: [{ field: country, equals: DE, steps: 1, label: Germany }, { field: company, exists: true, steps: 1 }] }
`);
    expect(gradeLead(m, { country: 'DE', company: 'Acme' }, []).matched.map((x) => x.criterion)).toEqual(['Germany', 'company exists']);
  });

  it('stays within F and A+', () => {
    const m = model(`baseGrade: B
personas:
  - { id: p, name: P, criteria: [{ field: jobTitle, matches: [ceo], steps: 12 }] }
adjustments:
  - { field: jobTitle, matches: [student], steps: -12 }
`);
    expect(gradeLead(m, { jobTitle: 'CEO' }, []).grade).toBe('A+');
    expect(gradeLead(m, { jobTitle: 'Student' }, []).grade).toBe('F');
  });
});

describe('signals', () => {
  const m = model(`baseGrade: C
personas:
  - { id: p, name: P, criteria: [{ field: jobTitle, matches: [cfo], steps: 2 }] }
adjustments:
  - id: careers-page
    activity: page.visited
    where: { properties.pageCategory: careers }
    steps: -1
  - id: pricing
    activity: page.visited
    where: { properties.pageCategory: { in: [pricing, plans] }, properties.locale: de }
    steps: 1
`);

  it('turns matching events into signal ids', () => {
    expect(gradeSignals(m, { type: 'page.visited', properties: { pageCategory: 'Careers', url: '/jobs' } })).toEqual(['careers-page']);
    expect(gradeSignals(m, { type: 'page.visited', properties: { pageCategory: 'plans', locale: 'de' } })).toEqual(['pricing']);
  });

  it('ignores events of another type or with other properties', () => {
    expect(gradeSignals(m, { type: 'email.clicked', properties: { pageCategory: 'careers' } })).toEqual([]);
    expect(gradeSignals(m, { type: 'page.visited', properties: { pageCategory: 'blog' } })).toEqual([]);
    expect(gradeSignals(m, { type: 'page.visited', properties: { pageCategory: 'pricing' } })).toEqual([]);
    expect(gradeSignals(m, { type: 'page.visited', properties: {} })).toEqual([]);
  });

  it('applies the steps of the signals the lead holds, once each', () => {
    const signals = gradeSignals(m, { type: 'page.visited', properties: { pageCategory: 'careers' } });
    expect(gradeLead(m, { jobTitle: 'CFO' }, []).grade).toBe('B-');
    expect(gradeLead(m, { jobTitle: 'CFO' }, signals)).toMatchObject({ grade: 'C+', persona: 'p', matched: [{ persona: 'p', criterion: 'jobTitle matches', steps: 2 }, { persona: null, criterion: 'careers-page', steps: -1 }] });
    expect(gradeLead(m, { jobTitle: 'CFO' }, [...signals, ...signals]).grade).toBe('C+');
  });

  it('ignores signals the model no longer has', () => {
    expect(gradeLead(m, { jobTitle: 'CFO' }, ['removed-rule']).grade).toBe('B-');
  });
});

describe('the shipped grading model', () => {
  const shipped = model(readFileSync(join(__dirname, '..', '..', 'workflows', 'grading.yaml'), 'utf8'));
  const visit = (pageCategory: string) => gradeSignals(shipped, { type: 'page.visited', properties: { url: `https://acme.test/${pageCategory}`, pageCategory } });
  const careers = visit('careers');

  it('grades the CEO of a 200-person manufacturer in Germany A- or better', () => {
    const ceo = { email: 'anna.berger@berger-maschinenbau.de', jobTitle: 'CEO', company: 'Berger Maschinenbau GmbH', companySize: 200, industry: 'Manufacturing', country: 'DE' };
    const r = gradeLead(shipped, ceo, []);
    expect(r.persona).toBe('decision-maker');
    expect(compareGrades(r.grade, 'A-')).toBeGreaterThanOrEqual(0);
  });

  it('grades a student D or worse, lower still after a look at the careers page', () => {
    const student = { email: 'tim@uni-mannheim.de', jobTitle: 'Student', country: 'DE' };
    const r = gradeLead(shipped, student, []);
    expect(compareGrades(r.grade, 'D')).toBeLessThanOrEqual(0);
    expect(compareGrades(gradeLead(shipped, student, careers).grade, r.grade)).toBeLessThan(0);
  });

  it('tells the personas apart where their keywords overlap', () => {
    const at = (jobTitle: string) => gradeLead(shipped, { jobTitle, companySize: 300, country: 'AT' }, []);
    expect(at('Managing Director').persona).toBe('decision-maker');
    expect(at('Geschäftsführerin').persona).toBe('decision-maker');
    expect(at('Finance Director').persona).toBe('decision-maker');
    expect(at('Leiterin Controlling').persona).toBe('influencer');
    expect(at('Senior Accountant').persona).toBe('user');
    expect(at('Finanzbuchhalterin').persona).toBe('user');
    expect(compareGrades(at('CFO').grade, at('CEO').grade)).toBeGreaterThan(0);
    expect(compareGrades(at('Controller').grade, at('CEO').grade)).toBeLessThan(0);
  });

  it('recognises visits to the careers pages by their page category', () => {
    expect(visit('careers')).toEqual(['careers-page']);
    expect(visit('Careers')).toEqual(['careers-page']);
    expect(visit('blog')).toEqual([]);
    expect(visit('pricing')).toEqual([]);
  });

  it('lowers a lead with a personal mailbox', () => {
    const lead = { jobTitle: 'Owner', companySize: 5, country: 'DE' };
    expect(compareGrades(gradeLead(shipped, { ...lead, email: 'max@gmx.de' }, []).grade, gradeLead(shipped, { ...lead, email: 'max@mustermann-gmbh.de' }, []).grade)).toBeLessThan(0);
  });
});
