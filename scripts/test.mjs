// `npm test`: every suite in order — Chromium present, builds, vitest (Node, Chromium, workerd projects),
// Playwright end-to-end — then one closing line `tests: N passed, N failed, N skipped` over all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
mkdirSync('.tmp', { recursive: true });
const VITEST_JSON = '.tmp/vitest-results.json';
const PW_JSON = '.tmp/playwright-results.json';
for (const f of [VITEST_JSON, PW_JSON]) rmSync(f, { force: true });

let failedSteps = 0;
function step(name, cmd, args, extraEnv = {}) {
  console.log(`\n── ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv } });
  if (r.status !== 0) {
    failedSteps++;
    console.error(`── ${name} failed (exit ${r.status ?? r.signal})`);
  }
  return r.status === 0;
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
if (!step('chromium', process.execPath, ['scripts/ensure-chromium.mjs'])) process.exit(1);
if (!step('build', 'npm', ['run', '-s', 'build'])) process.exit(1);
step('vitest', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`]);
step('playwright', npx, ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: PW_JSON });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(VITEST_JSON)) {
  const v = JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + v.numTodoTests;
} else failed++;
if (existsSync(PW_JSON)) {
  const s = JSON.parse(readFileSync(PW_JSON, 'utf8')).stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
} else failed++;
if (failedSteps > 0 && failed === 0) failed = failedSteps; // a suite that crashed before reporting still fails the run

console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || failedSteps > 0 ? 1 : 0);
