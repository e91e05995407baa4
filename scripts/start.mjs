#!/usr/bin/env node
/**
 * `npm start`: builds the web app, starts the Worker in local workerd (`wrangler dev`, offline, local R2/KV),
 * publishes the demo model signed with a local demo key, and prints the URL.
 * Env: PORT (8787), INSPECTOR_PORT (wrangler's default 9229; set it to run two local edges at once),
 * MODEL_VERIFY_STATE (.wrangler: local R2/KV state and the demo key), MODEL_VERIFY_SKIP_BUILD=1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 8787);
const BASE = `http://${HOST}:${PORT}`;
const STATE = path.resolve(process.env.MODEL_VERIFY_STATE || '.wrangler');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const say = (s) => console.log(`[start] ${s}`);

// 1. The web app (dist/app, wrangler.toml's static assets); without it the Worker shows its status page.
const haveApp = existsSync('dist/app/index.html');
if (existsSync('vite.config.ts') && existsSync('web/app/index.html') && !(process.env.MODEL_VERIFY_SKIP_BUILD && haveApp)) {
  say('building the web app (vite build)…');
  const r = spawnSync(bin('vite'), ['build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) say('the web app did not build; serving the status page instead');
}
mkdirSync('dist/app', { recursive: true });

// 2. The admin secret for publishing, generated once into .dev.vars (gitignored).
let vars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : '';
let token = /^ADMIN_TOKEN=(.+)$/m.exec(vars)?.[1]?.trim();
if (!token) {
  token = randomBytes(32).toString('hex');
  vars = `${vars}${vars && !vars.endsWith('\n') ? '\n' : ''}ADMIN_TOKEN=${token}\n`;
  writeFileSync('.dev.vars', vars, { mode: 0o600 });
  say('generated ADMIN_TOKEN in .dev.vars');
}

// 3. The demo seeder (TypeScript, bundled for Node like the CLI).
// Inside the repo so its imports resolve from node_modules (.wrangler is gitignored).
const seeder = path.join(root, '.wrangler', 'demo-seed', 'seed.mjs');
await build({
  entryPoints: ['scripts/seed-demo.ts'],
  outfile: seeder,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

// 4. wrangler dev, offline, on 127.0.0.1 only.
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  XDG_CONFIG_HOME: path.join(STATE, 'config'), // keeps wrangler's logs and metrics settings out of $HOME
};
const child = spawn(
  bin('wrangler'),
  [
    'dev',
    '--ip',
    HOST,
    '--port',
    String(PORT),
    '--persist-to',
    path.join(STATE, 'state'),
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
    ...(process.env.INSPECTOR_PORT ? ['--inspector-port', process.env.INSPECTOR_PORT] : []),
  ],
  { env, stdio: ['ignore', 'inherit', 'inherit'] },
);
let exiting = false;
const stop = (sig) => {
  exiting = true;
  child.kill(sig);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('exit', (code, sig) => {
  if (!exiting) say(`wrangler dev exited (${code ?? sig})`);
  process.exit(code ?? 0);
});

async function ready(deadline) {
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${BASE}/api/v1/models`);
      if (r.ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

if (!(await ready(Date.now() + 120_000))) {
  say('wrangler dev did not answer within 120 s');
  stop('SIGTERM');
} else {
  try {
    const { seedDemo } = await import(pathToFileURL(seeder).href);
    const s = await seedDemo({ baseUrl: BASE, token, stateDir: path.join(STATE, 'demo'), log: say });
    const verdict = s.verified
      ? `verified at the edge (signer: ${s.signer?.method} ${s.signer?.keyHint?.slice(0, 16)}…, ${s.resources.length} files)`
      : `NOT verified: ${s.errors[0]?.code} ${s.errors[0]?.message}`;
    console.log(`\n  model-verify is running at ${BASE}/\n  demo model: ${verdict}\n  publish your own: see docs/deploy.md (admin token in .dev.vars)\n`);
  } catch (e) {
    say(`could not publish the demo model: ${e instanceof Error ? e.message : e}`);
    console.log(`\n  model-verify is running at ${BASE}/\n`);
  }
}
