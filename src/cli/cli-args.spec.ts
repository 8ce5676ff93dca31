import { parseArgs } from './cli-args';

describe('parseArgs', () => {
  it('separates words from flags', () => {
    expect(parseArgs(['apikey', 'create', '--name', 'ci', '--json'])).toEqual({ command: ['apikey', 'create'], flags: { name: 'ci', json: true } });
  });
  it('reads --flag=value', () => {
    expect(parseArgs(['x', '--leads=50'])).toEqual({ command: ['x'], flags: { leads: '50' } });
  });
});
