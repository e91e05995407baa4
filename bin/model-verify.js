#!/usr/bin/env node
// Entry point: runs the bundled CLI (built by `npm run build:cli`, which `npm ci`/`npm install` run via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundled = new URL('../dist/cli/model-verify.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundled))) {
  process.stderr.write('model-verify is not built yet: run `npm run build:cli` (npm install does it for you).\n');
  process.exit(2);
}
const { main } = await import(bundled.href);
await main(process.argv.slice(2));
