import { registryProblems } from './job-registry.rules';

describe('registryProblems', () => {
  it('accepts one handler per job', () => {
    expect(registryProblems(['a', 'b'], new Map([['a', ['A.run']], ['b', ['B.run']]]))).toEqual([]);
  });

  it('reports a job without a handler', () => {
    expect(registryProblems(['a', 'b'], new Map([['a', ['A.run']]]))).toEqual(['job "b" has no handler']);
  });

  it('reports a job with two handlers, naming both', () => {
    expect(registryProblems(['a'], new Map([['a', ['A.run', 'B.run']]]))).toEqual(['job "a" has 2 handlers: A.run, B.run']);
  });

  it('reports a handler for an unknown job', () => {
    expect(registryProblems([], new Map([['x', ['X.run']]]))).toEqual(['handler X.run names unknown job "x"']);
  });
});
