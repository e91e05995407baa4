// `npm test`: every suite in order — Chromium present, builds, layout boundaries, formatting, size budgets, vitest (Node,
// Chromium, workerd projects), the vitest `node` project again on each pinned newer Node (22, 24;
// scripts/ensure-node.mjs), Playwright end-to-end — then one closing line `tests: N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureNodes, PINNED } from './ensure-node.mjs';

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
mkdirSync('.tmp', { recursive: true });
const VITEST_JSON = '.tmp/vitest-results.json';
const PW_JSON = '.tmp/playwright-results.json';
// One JSON file per vitest run, like the main run's: a run that crashes before writing it counts as failed.
const matrixJson = (major) => `.tmp/vitest-node${major}-results.json`;
const MATRIX_JSON = Object.keys(PINNED).map(matrixJson);
for (const f of [VITEST_JSON, PW_JSON, ...MATRIX_JSON]) rmSync(f, { force: true });

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
if (!step('oci registry', process.execPath, ['scripts/ensure-registry.mjs'])) process.exit(1); // tests/oci: Debian's docker-registry
if (!step('build', 'npm', ['run', '-s', 'build'])) process.exit(1);
// Layout rules (core ← adapters ← shells, core entered through its index files): a failure fails the run.
step('boundaries', process.execPath, ['scripts/check-boundaries.mjs']);
// Formatting (biome.json): `npm run format` fixes what this reports.
step('format', npx, ['biome', 'format', '.']);
// Size budgets of what the build wrote (element initial download, app initial JS, npm tarball): prints the table.
step('sizes', process.execPath, ['scripts/check-sizes.mjs']);
step('vitest', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`]);

// The Node-side suite on the other supported release lines. Only the `node` project: the browser and workerd
// projects do not run on Node's own engine. The pinned binary goes first on PATH, so anything the tests start
// by name (`node …`) runs on the same version as the tests themselves.
let nodes = [];
console.log(`\n── node matrix: Node ${Object.values(PINNED).join(', ')} from the npm registry (scripts/ensure-node.mjs)`);
try {
  nodes = ensureNodes();
} catch (e) {
  failedSteps++;
  console.error(`── node matrix failed: ${e.message}`);
}
for (const n of nodes) {
  step(
    `vitest node project on Node ${n.version}`,
    n.bin,
    ['node_modules/vitest/vitest.mjs', 'run', '--project', 'node', '--reporter=dot', '--reporter=json', `--outputFile.json=${matrixJson(n.major)}`],
    {
      PATH: `${path.dirname(n.bin)}${path.delimiter}${process.env.PATH ?? ''}`,
    },
  );
}
step('playwright', npx, ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: PW_JSON });

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of [VITEST_JSON, ...MATRIX_JSON]) {
  if (existsSync(file)) {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    passed += v.numPassedTests;
    failed += v.numFailedTests;
    skipped += v.numPendingTests + v.numTodoTests;
  } else failed++;
}
if (existsSync(PW_JSON)) {
  const s = JSON.parse(readFileSync(PW_JSON, 'utf8')).stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
} else failed++;
if (failedSteps > 0 && failed === 0) failed = failedSteps; // a suite that crashed before reporting still fails the run

console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || failedSteps > 0 ? 1 : 0);
