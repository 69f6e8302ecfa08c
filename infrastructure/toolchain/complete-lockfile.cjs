// The package registry this project is built against serves only the linux builds of @swc/core,
// so `npm install` writes a lock file without the other platforms' optional entries and `npm ci`
// then refuses it. This adds the missing optional entries (skipped at install on other platforms),
// which is what the lock file holds when it is written against the full registry.
const fs = require('node:fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const depKey = `node_modules/${dep}`;
    if (lock.packages[depKey]) continue;
    const m = /-(darwin|linux|win32|freebsd|android)-(arm64|x64|arm|ia32|ppc64|s390x|riscv64)/.exec(dep);
    if (!m) continue;
    lock.packages[depKey] = { version, optional: true, os: [m[1]], cpu: [m[2]] };
    console.log(`added ${dep}@${version} for ${key}`);
  }
}
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
