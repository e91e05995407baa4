#!/usr/bin/env node
// Entry point: runs the bundled CLI (built by `npm run build:cli`, which `npm ci`/`npm install` run via `prepare`).
// Built-ins from process.getBuiltinModule, as in the bundle (scripts/build-cli.mjs): an ESM import of node:fs has
// Node build its ESM facade, which reads every export, lazy getters included (start-up time for nothing).
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`model-verify needs Node.js 20.19 or later (this is ${process.version}).\n`);
  process.exit(2);
}
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');

const args = process.argv.slice(2);
// `--version` alone (install checks, scripts) is answered from package.json without loading the CLI bundle (the
// text commander prints for it, at little more than Node's own start-up). Anything else goes through the CLI.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}
const bundled = new URL('../dist/cli/model-verify.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundled))) {
  process.stderr.write('model-verify is not built yet: run `npm run build:cli` (npm install does it for you).\n');
  process.exit(2);
}
const { main } = await import(bundled.href);
await main(args);
