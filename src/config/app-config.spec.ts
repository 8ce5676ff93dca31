import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'kindling-config-'));

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({ port: 3000, publicUrl: 'http://localhost:3000', role: 'all', logLevel: 'info', dataDir: dir });
    expect(config.database.url).toBeUndefined();
    expect(config.redis.url).toBeUndefined();
    expect(config.database.migrateOnBoot).toBe(true);
    expect(config.templatesDir).toBe(resolve('templates'));
  });

  it('keeps a generated secret in DATA_DIR so it survives restarts', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.secretKeyFromEnv).toBe(false);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first.secretKey);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toBe(first.secretKey);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'abc', DATA_DIR: dataDir() })).toThrow(/PORT/);
    expect(() => loadConfig({ APP_ROLE: 'web', DATA_DIR: dataDir() })).toThrow(/APP_ROLE/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', DATA_DIR: dataDir() })).toThrow(/DATABASE_URL/);
  });

  it('reports every problem at once', () => {
    try {
      loadConfig({ PORT: '-1', SECRET_KEY: 'short', DATA_DIR: dataDir() });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['PORT', 'SECRET_KEY']);
    }
  });

  it('requires SECRET_KEY in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir() })).toThrow(/SECRET_KEY: is required when NODE_ENV=production/);
  });

  it('treats empty values as unset and trims a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ PORT: '', PUBLIC_URL: 'https://mail.example.com/', DATA_DIR: dataDir() });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('https://mail.example.com');
  });
});

describe('mail settings', () => {
  it('derives the unsubscribe mailbox from MAIL_FROM and reads DKIM keys with escaped newlines', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      MAIL_FROM: 'Acme Marketing <news@mail.acme.test>',
      DKIM_DOMAIN: 'mail.acme.test',
      DKIM_SELECTOR: 'k1',
      DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----',
    });
    expect(config.mail.unsubscribeMailto).toBe('unsubscribe@mail.acme.test');
    expect(config.mail.dkim?.privateKey).toBe('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
  });

  it('wants all three DKIM variables or none, and long previous keys', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), DKIM_DOMAIN: 'x.test' })).toThrow(/DKIM_PRIVATE_KEY/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), SECRET_KEYS_PREVIOUS: 'short' })).toThrow(/SECRET_KEYS_PREVIOUS: key 1/);
  });
});
