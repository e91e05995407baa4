/**
 * The Sign page finds the signing relay only when the serving Worker offers one: served by the real Worker
 * (`npm start`: wrangler dev, workerd), keyless signing with public-good Sigstore says that the operator's
 * Worker relays sign-in and what it sees; served by a plain static server (vite preview) it says nothing of the
 * kind and keeps the paste-a-token hint. No Sigstore call is made (nothing here reaches the network).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

let child: ChildProcess | undefined;
let workerBase = '';
const state = mkdtempSync(join(tmpdir(), 'mv-e2e-proxy-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  const port = await freePort();
  // dist/app was built by the Playwright web server; wrangler dev serves it with the Worker in front.
  child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, PORT: String(port), MODEL_VERIFY_STATE: state, MODEL_VERIFY_SKIP_BUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  workerBase = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 200);
    child!.on('exit', (code) => {
      clearInterval(t);
      reject(new Error(`start.mjs exited (${code}):\n${output}`));
    });
  });
});

test.afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child!.on('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  rmSync(state, { recursive: true, force: true });
});

async function keyless(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/#sign`);
  await page.getByLabel('Sigstore (keyless)').check();
  await expect(page.getByLabel('Public-good Sigstore')).toBeChecked();
}

test('served by the Worker: sign-in goes through its relay, and the page says what the relay sees', async ({ page }) => {
  const info = page.waitForResponse((r) => r.url() === `${workerBase}/api/v1/proxy/info`);
  await keyless(page, workerBase);
  expect((await info).status()).toBe(200);
  const note = page.locator('#relay-note');
  await expect(note).toBeVisible();
  await expect(note).toContainText('relays those calls');
  await expect(note).toContainText('identity token');
  await expect(page.getByText('paste an identity token instead')).toHaveCount(0);
});

test('served statically (no Worker): no relay, no note, the paste-a-token hint stays', async ({ page, baseURL }) => {
  await keyless(page, baseURL!);
  await expect(page.getByText('paste an identity token instead')).toBeVisible();
  await expect(page.locator('#relay-note')).toHaveCount(0);
});
