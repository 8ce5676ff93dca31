// The package registry this project is built against serves only the Linux builds of packages
// that ship one binary package per platform (@swc/core-*, msgpackr-extract, ...). `npm install`
// then leaves the other platforms' optional packages out of package-lock.json, and `npm ci`
// refuses a lock that misses any dependency, even one it would skip on this platform.
//
// This adds a lock entry for each such missing optional package, marked with the os/cpu/libc
// its name states, so `npm ci` sees a complete lock and skips them as platform-incompatible.
// Run it after changing dependencies: `npm install && node .ci/complete-lock.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32', 'mips64el'];

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[base] || packages[hoisted]) continue;
    const tokens = name.split('/').pop().split('-');
    const os = tokens.find((t) => OS.includes(t));
    const cpu = tokens.find((t) => CPU.includes(t));
    if (!os && !cpu) {
      console.warn(`left alone: ${name} (not a platform package)`);
      continue;
    }
    const version = String(range).replace(/^[\^~=]/, '');
    packages[hoisted] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
      optional: true,
      ...(meta.dev ? { dev: true } : {}),
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu === 'wasm32' ? 'wasm32' : cpu] } : {}),
      ...(tokens.includes('musl') ? { libc: ['musl'] } : tokens.includes('gnu') || tokens.includes('gnueabihf') ? { libc: ['glibc'] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform packages to package-lock.json`);
