import { compareGrades, stepGrade } from './grade.rules';

describe('grades', () => {
  it('moves in third-letter steps and clamps at the ends', () => {
    expect(stepGrade('C', 1)).toBe('C+');
    expect(stepGrade('C', 3)).toBe('B');
    expect(stepGrade('B', -4)).toBe('C-');
    expect(stepGrade('A', 5)).toBe('A+');
    expect(stepGrade('D-', -3)).toBe('F');
  });

  it('orders grades', () => {
    expect(compareGrades('B', 'B-')).toBeGreaterThan(0);
    expect(compareGrades('C+', 'B')).toBeLessThan(0);
    expect(compareGrades('A+', 'A+')).toBe(0);
  });
});
