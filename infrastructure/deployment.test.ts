/**
 * The deployment files that cannot run here for real: the firewall script (its dry run, and its
 * real mode against stand-in `ufw` and `id` commands so the host firewall is never touched),
 * docker-compose.yml validated against the Compose Specification's own JSON schema (no Docker
 * engine) and its one-shot setup scripts run against the real Temporal and S3 servers of the test
 * run, the Dockerfile, and the systemd units (systemd-analyze where available).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { TEMPORAL_SERVER_DYNAMIC_CONFIG } from './temporal/server-settings';
import { publicScratchDir } from '../test/scratch';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { onPath, temporalCli } from './toolchain/tools';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const CLI_TYPE: Record<string, string> = { INT: 'Int', KEYWORD: 'Keyword', DATETIME: 'Datetime' };
const searchAttributePairs = SEARCH_ATTRIBUTES.map((key) => `${key.name}=${CLI_TYPE[key.type]}`);

const scratch = publicScratchDir('tgc-deploy-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------------
describe('infrastructure/ufw-setup.sh', () => {
  const isRoot = process.getuid?.() === 0;
  // The unprivileged user must be able to read the script, and the checkout may sit below a folder
  // only its owner can enter (a 0700 home, a `mktemp -d` folder): run a copy from a scratch folder
  // every user can traverse.
  const scriptDir = join(scratch, 'ufw');
  mkdirSync(scriptDir, { recursive: true });
  chmodSync(scriptDir, 0o755);
  const script = join(scriptDir, 'ufw-setup.sh');
  copyFileSync(join(root, 'infrastructure', 'ufw-setup.sh'), script);
  chmodSync(script, 0o644);

  /** Runs the script as an unprivileged user (via setpriv when the test runs as root). */
  function runUnprivileged(args: string[], env: Record<string, string> = {}) {
    const command = isRoot
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'bash', script, ...args]
      : ['bash', script, ...args];
    return spawnSync(command[0]!, command.slice(1), {
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    });
  }
  const commandsOf = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('ufw '));

  it('--dry-run prints the rules without root and without ufw installed: 22, 80 and 443 in, app ports denied', () => {
    const result = runUnprivileged(['--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const commands = commandsOf(result.stdout);
    expect(commands).toContain('ufw default deny incoming');
    for (const port of [22, 80, 443])
      expect(
        commands.some((line) => line.startsWith(`ufw allow ${port}/tcp`)),
        `allow ${port}`,
      ).toBe(true);
    for (const port of [8080, 7233, 8233, 5432, 7070])
      expect(
        commands.some((line) => line.startsWith(`ufw deny ${port}/tcp`)),
        `deny ${port}`,
      ).toBe(true);
    expect(commands.filter((line) => line.startsWith('ufw allow'))).toHaveLength(3);
    // SSH is allowed before the firewall goes up, so the session running the script survives.
    const enable = commands.indexOf('ufw --force enable');
    expect(enable).toBeGreaterThan(commands.findIndex((line) => line.startsWith('ufw allow 22/tcp')));
    expect(enable).toBeGreaterThan(commands.findIndex((line) => line.startsWith('ufw deny 8080/tcp')));
  });

  it('follows SSH_PORT when sshd listens elsewhere', () => {
    const commands = commandsOf(runUnprivileged(['--dry-run'], { SSH_PORT: '2222' }).stdout);
    expect(commands.some((line) => line.startsWith('ufw allow 2222/tcp'))).toBe(true);
    expect(commands.some((line) => line.startsWith('ufw allow 22/tcp'))).toBe(false);
    expect(runUnprivileged(['--dry-run'], { SSH_PORT: '22; reboot' }).status).toBe(2);
  });

  it('refuses to change the firewall without root, with a clear message', () => {
    const result = runUnprivileged([]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/must run as root.*sudo/);
    expect(result.stdout).toBe('');
  });

  it('as root runs exactly the commands its dry run prints, the same on every run (idempotent)', () => {
    // Stand-ins: `id -u` says root, `ufw` records its arguments. The real firewall is never touched.
    const bin = join(scratch, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    const calls = join(scratch, 'ufw-calls.log');
    writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 0\n');
    writeFileSync(join(bin, 'ufw'), `#!/bin/sh\nprintf '%s\\n' "ufw $*" >> '${calls}'\n`);
    chmodSync(join(bin, 'id'), 0o755);
    chmodSync(join(bin, 'ufw'), 0o755);
    const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };

    const dryRun = commandsOf(spawnSync('bash', [script, '--dry-run'], { encoding: 'utf8', env }).stdout).map((line) =>
      line.replace(/'([^']*)'/g, '$1'),
    );
    const runs = [1, 2].map(() => {
      rmSync(calls, { force: true });
      const result = spawnSync('bash', [script], { encoding: 'utf8', env });
      expect(result.status).toBe(0);
      return readFileSync(calls, 'utf8').trim().split('\n');
    });
    expect(runs[0]).toEqual(dryRun);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]!.some((line) => /\b(reset|delete|disable)\b/.test(line))).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string>;
  env_file?: string;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  const raw = read('docker-compose.yml');
  // Compose resolves YAML merge keys (<<) before validating; so does this parse.
  const compose = parse(raw, { merge: true }) as ComposeFile;
  const schema = JSON.parse(read('infrastructure/compose-spec/compose-spec.json')) as Record<string, unknown>;
  // The vendored schema declares draft-07, Ajv's default class, under the https spelling of the
  // meta-schema's URI, so that spelling is registered too. Not strict: the spec uses annotations
  // (e.g. "deprecated") that strict mode would reject as unknown keywords.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const services = compose.services;
  const commandOf = (name: string) => {
    const command = services[name]?.command;
    return Array.isArray(command) ? command.join(' ') : (command ?? '');
  };

  it('validates against the Compose Specification schema (and the schema does reject a broken file)', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft-07/schema');
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);

    const broken = structuredClone(compose);
    (broken.services.api as Record<string, unknown>).healthcheck = { test: ['CMD', 'true'], interval: 10 };
    (broken.services.worker as Record<string, unknown>).restart_policy = 'always';
    expect(validate(broken)).toBe(false);
  });

  it('has every service the product needs, with health checks where a readiness probe exists', () => {
    for (const name of [
      'postgres',
      'temporal',
      'temporal-ui',
      'temporal-schema',
      'temporal-setup',
      'object-storage',
      'object-storage-init',
      'migrate',
      'api',
      'worker',
      'bot',
      'nginx',
      'certbot',
    ]) {
      expect(services[name], name).toBeDefined();
    }
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'object-storage', 'api', 'nginx']) {
      expect(services[name]!.healthcheck?.test, `${name} healthcheck`).toBeDefined();
    }
    expect(services.postgres!.image).toMatch(/^postgres:\d+/);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:\d/);
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:\d/);
    expect(services['temporal-setup']!.image).toMatch(/^temporalio\/admin-tools:\d/);
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:\d/);
    expect(services.nginx!.image).toMatch(/^nginx:\d/);
  });

  it('starts things in order: schema before Temporal, migrations and search attributes before the app', () => {
    expect(services.temporal!.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(services['temporal-setup']!.depends_on?.temporal?.condition).toBe('service_healthy');
    expect(services.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['api', 'worker', 'bot']) {
      expect(services[name]!.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      expect(services[name]!.depends_on?.['temporal-setup']?.condition, name).toBe('service_completed_successfully');
    }
    expect(services.nginx!.depends_on?.api?.condition).toBe('service_healthy');
  });

  it('registers exactly the search attributes the workflows use', () => {
    const setup = commandOf('temporal-setup');
    for (const pair of searchAttributePairs) expect(setup).toContain(pair);
    expect(setup).toContain('temporal operator search-attribute create');
    expect(setup.match(/\w+=(Int|Keyword|Text|Bool|Double|Datetime|KeywordList)\b/g)?.sort()).toEqual(
      [...searchAttributePairs].sort(),
    );
  });

  it("gives the Temporal server the product's dynamic config (infrastructure/temporal/server-settings.ts)", () => {
    const temporal = services.temporal!;
    const mount = (temporal.volumes ?? []).find((volume) => String(volume).includes('dynamic-config.yaml'));
    expect(String(mount)).toBe(
      './infrastructure/temporal/dynamic-config.yaml:/etc/temporal/config/dynamicconfig/docker.yaml:ro',
    );
    const file = parse(read('infrastructure/temporal/dynamic-config.yaml')) as Record<
      string,
      Array<{ value: unknown }>
    >;
    expect(Object.fromEntries(Object.entries(file).map(([key, [entry]]) => [key, entry!.value]))).toEqual(
      TEMPORAL_SERVER_DYNAMIC_CONFIG,
    );
  });

  /** What the container runs: the command with Compose's `$$` escapes undone. */
  const containerCommand = (name: string) => {
    const command = services[name]!.command!;
    return (Array.isArray(command) ? command : [command]).map((part) => part.replaceAll('$$', '$'));
  };

  it('has shell scripts that parse (sh -n) once Compose has undone its $$ escapes', () => {
    const scripts = Object.entries(services).filter(
      ([, service]) => Array.isArray(service.entrypoint) && service.entrypoint.join(' ') === '/bin/sh -c',
    );
    expect(scripts.map(([name]) => name).sort()).toEqual(['certbot', 'temporal-schema', 'temporal-setup']);
    for (const [name] of scripts) {
      const result = spawnSync('sh', ['-n', '-c', containerCommand(name).join('\n')], { encoding: 'utf8' });
      expect(result.stderr, name).toBe('');
      expect(result.status, name).toBe(0);
    }
  });

  it('temporal-setup registers the namespace and search attributes on a real Temporal server, idempotently', () => {
    const cli = temporalCli(() => {});
    if (!cli) throw new Error('no Temporal CLI binary (npm run setup provides one)');
    // The admin-tools image has the CLI on PATH as `temporal`.
    const bin = join(scratch, 'temporal-bin');
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'temporal'))) symlinkSync(cli, join(bin, 'temporal'));
    const address = inject('temporalAddress');
    const namespace = `compose-setup-${randomUUID().slice(0, 8)}`;
    const env = {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
    };
    const [shell, ...args] = [
      ...(services['temporal-setup']!.entrypoint as string[]),
      ...containerCommand('temporal-setup'),
    ];

    const first = spawnSync(shell!, args, { env, encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    const listed = spawnSync(cli, ['operator', 'search-attribute', 'list', '-n', namespace, '--address', address], {
      encoding: 'utf8',
    }).stdout;
    for (const key of SEARCH_ATTRIBUTES)
      expect(listed).toMatch(new RegExp(`\\b${key.name}\\s+${CLI_TYPE[key.type]}\\b`));

    const second = spawnSync(shell!, args, { env, encoding: 'utf8', timeout: 120_000 });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.match(/already registered/g)).toHaveLength(SEARCH_ATTRIBUTES.length);
  });

  it("object-storage-init creates the bucket with the app's S3 client on a real S3 server, and leaves an existing one", () => {
    const s3 = inject('s3');
    const bucket = `compose-init-${randomUUID().slice(0, 8)}`;
    const env = {
      ...process.env,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_BUCKET: bucket,
    };
    const [binary, ...args] = containerCommand('object-storage-init');
    const first = spawnSync(binary!, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`bucket ${bucket} created`);
    const second = spawnSync(binary!, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`bucket ${bucket} already exists`);
    const wrongKey = spawnSync(binary!, args, {
      cwd: root,
      env: { ...env, S3_SECRET_ACCESS_KEY: 'wrong' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(wrongKey.status).not.toBe(0);
  });

  it("runs the app image with the npm scripts' commands and one .env file", () => {
    const expected: Record<string, string> = {
      api: scripts.api!,
      worker: scripts.worker!,
      bot: scripts.bot!,
      migrate: scripts['db:migrate']!,
    };
    for (const [name, script] of Object.entries(expected)) {
      expect(commandOf(name), name).toBe(`npx ${script}`);
      expect(services[name]!.build, name).toBe('.');
      expect(services[name]!.env_file, name).toBe('.env');
      expect(services[name]!.environment?.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      expect(services[name]!.environment?.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
    expect(services.api!.environment?.API_HOST).toBe('0.0.0.0');
  });

  it('publishes only 80 and 443 to the world; everything else on 127.0.0.1 (Docker ports bypass UFW)', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => [name, String(port)] as const),
    );
    expect(published.length).toBeGreaterThan(2);
    for (const [name, port] of published) {
      if (name === 'nginx') expect(['80:80', '443:443']).toContain(port);
      else expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('renders the shipped nginx template with every placeholder it needs, and declares its volumes', () => {
    const nginx = services.nginx!;
    expect(nginx.volumes).toContain(
      './infrastructure/nginx/tg-commerce.conf.template:/etc/nginx/templates/tg-commerce.conf.template:ro',
    );
    const placeholders = [
      ...new Set(read('infrastructure/nginx/tg-commerce.conf.template').match(/\$\{TG_[A-Z0-9_]+\}/g)),
    ].map((p) => p.slice(2, -1));
    expect(placeholders.length).toBeGreaterThan(3);
    for (const name of placeholders) expect(nginx.environment?.[name], name).toBeTruthy();
    expect(nginx.environment?.TG_API_UPSTREAM).toBe('api:8080');
    for (const mount of nginx.volumes ?? []) {
      const source = mount.split(':')[0]!;
      if (source.startsWith('./')) expect(existsSync(join(root, source)), source).toBe(true);
    }

    const named = Object.values(services)
      .flatMap((service) => service.volumes ?? [])
      .map((mount) => mount.split(':')[0]!)
      .filter((source) => !/^[./]/.test(source));
    expect(named.length).toBeGreaterThan(0);
    for (const volume of named) expect(compose.volumes, volume).toHaveProperty(volume);
  });

  it('only interpolates ${VARIABLES} (a literal $ is written $$), each one documented in the deployment guide', () => {
    const withoutEscapes = raw.replace(/\$\$/g, '');
    expect(withoutEscapes.match(/\$(?!\{)/g) ?? []).toEqual([]);
    const variables = [...new Set([...withoutEscapes.matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1]!))];
    expect(variables).toEqual(
      expect.arrayContaining(['POSTGRES_PASSWORD', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'TG_SERVER_NAME']),
    );
    const guide = read('README.md');
    for (const name of variables) expect(guide, `${name} in the README's deployment guide`).toContain(name);
  });
});

// ------------------------------------------------------------------------------------------------
describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds the app on Node 20 with the locked dependencies and runs it as a non-root user through tsx', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain(
      `CMD ["npx", ${scripts
        .api!.split(' ')
        .map((part) => JSON.stringify(part))
        .join(', ')}]`,
    );
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', 'node_modules', '.git', '.data']) expect(ignored).toContain(entry);
  });
});

// ------------------------------------------------------------------------------------------------
type Unit = Record<string, Record<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = header[1]!;
      unit[section] ??= {};
      continue;
    }
    const equals = trimmed.indexOf('=');
    const key = trimmed.slice(0, equals);
    ((unit[section] ??= {})[key] ??= []).push(trimmed.slice(equals + 1));
  }
  return unit;
}

describe('systemd units (infrastructure/systemd)', () => {
  const dir = join(root, 'infrastructure', 'systemd');
  const unit = (name: string) => parseUnit(readFileSync(join(dir, name), 'utf8'));
  const appUnits: Record<string, string> = {
    'tg-commerce-api.service': scripts.api!,
    'tg-commerce-worker.service': scripts.worker!,
    'tg-commerce-bot.service': scripts.bot!,
    'tg-commerce-migrate.service': scripts['db:migrate']!,
  };

  it("run the npm scripts' commands as a non-root user, from the environment file, restarted on failure", () => {
    for (const [name, script] of Object.entries(appUnits)) {
      const service = unit(name).Service!;
      expect(service.ExecStart, name).toEqual([`/opt/tg-commerce/node_modules/.bin/${script}`]);
      expect(service.User, name).toEqual(['tg-commerce']);
      expect(service.WorkingDirectory, name).toEqual(['/opt/tg-commerce']);
      expect(service.EnvironmentFile, name).toEqual(['/etc/tg-commerce/tg-commerce.env']);
      if (name !== 'tg-commerce-migrate.service') {
        expect(service.Restart, name).toEqual(['always']);
        // One SIGTERM to tsx, which relays it once: a second signal makes the app exit at once.
        expect(service.KillMode, name).toEqual(['mixed']);
        expect(unit(name).Unit!.Requires, name).toEqual(['tg-commerce-migrate.service']);
      }
    }
  });

  it('are sandboxed', () => {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.service'))) {
      const service = unit(name).Service!;
      expect(service.NoNewPrivileges, name).toEqual(['yes']);
      expect(service.ProtectSystem, name).toEqual(['strict']);
      expect(service.ProtectHome, name).toEqual(['yes']);
      expect(service.PrivateTmp, name).toEqual(['yes']);
      expect(service.CapabilityBoundingSet, name).toEqual(['']);
      expect(service.User ?? service.DynamicUser, name).toBeDefined();
      expect(service.User?.[0]).not.toBe('root');
    }
  });

  it("start the Temporal server with the product's search attributes", () => {
    const execStart = unit('tg-commerce-temporal.service').Service!.ExecStart![0]!;
    const registered = [...execStart.matchAll(/--search-attribute (\S+)/g)].map((match) => match[1]!);
    expect(registered.sort()).toEqual([...searchAttributePairs].sort());
    expect(execStart).toContain('--db-filename /var/lib/tg-commerce-temporal/');
    expect(execStart).toContain('--ip 127.0.0.1');
    const values = [...execStart.matchAll(/--dynamic-config-value ([\w.]+)=(\S+)/g)];
    expect(Object.fromEntries(values.map((match) => [match[1]!, JSON.parse(match[2]!)]))).toEqual(
      TEMPORAL_SERVER_DYNAMIC_CONFIG,
    );
  });

  it('pass systemd-analyze verify (when systemd is installed) once the install paths exist', () => {
    const analyze = onPath('systemd-analyze');
    if (!analyze) {
      console.warn('systemd-analyze not found: only the static checks above ran for the units');
      return;
    }
    // Point the install paths at what exists on this machine: the repo (with its node_modules)
    // for /opt/tg-commerce, and stand-in binaries for the two downloaded tools.
    const copy = join(scratch, 'units');
    const tools = join(scratch, 'tools');
    mkdirSync(copy, { recursive: true });
    mkdirSync(tools, { recursive: true });
    for (const tool of ['temporal', 'versitygw']) {
      writeFileSync(join(tools, tool), '#!/bin/sh\n');
      chmodSync(join(tools, tool), 0o755);
    }
    const names = readdirSync(dir).filter((file) => /\.(service|target)$/.test(file));
    for (const name of names) {
      const text = readFileSync(join(dir, name), 'utf8')
        .replaceAll('/opt/tg-commerce', root)
        .replace(/\/usr\/local\/bin\/(temporal|versitygw)/g, (_match, tool: string) => join(tools, tool));
      writeFileSync(join(copy, name), text);
    }
    const result = spawnSync(analyze, ['verify', '--man=no', ...names.map((name) => join(copy, name))], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
