/**
 * End-to-end tests in Debian's Chromium (no browser download): the app from `vite preview`, and the
 * <model-verify> element on a plain page from a tiny static server that also serves the fixtures.
 */
import { defineConfig } from '@playwright/test';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const APP_URL = 'http://127.0.0.1:4174';
export const STATIC_URL = 'http://127.0.0.1:4175';

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  workers: 2,
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: APP_URL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1100, height: 900 },
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: 'npx vite build && npx vite build --mode lib && npx vite preview --host 127.0.0.1 --port 4174 --strictPort',
      url: `${APP_URL}/`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: 'ignore',
    },
    {
      command: 'node tests/e2e/static-server.mjs 4175',
      url: `${STATIC_URL}/health`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
