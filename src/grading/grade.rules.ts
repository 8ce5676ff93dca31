/** Letter grades in third-letter steps, worst first: one step = one position in this list. */
export const GRADES = ['F', 'D-', 'D', 'D+', 'C-', 'C', 'C+', 'B-', 'B', 'B+', 'A-', 'A', 'A+'] as const;
export type Grade = (typeof GRADES)[number];

export const isGrade = (s: string): s is Grade => (GRADES as readonly string[]).includes(s);

/** Negative when a is worse than b. */
export const compareGrades = (a: Grade, b: Grade): number => GRADES.indexOf(a) - GRADES.indexOf(b);

/** Moves a grade by whole steps, clamped to F and A+. */
export function stepGrade(grade: Grade, steps: number): Grade {
  const i = Math.max(0, Math.min(GRADES.length - 1, GRADES.indexOf(grade) + Math.trunc(steps)));
  return GRADES[i];
}
