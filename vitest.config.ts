import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { upstreamDouble } from './tests/worker/upstream-double.js';

/** Test files that must behave identically in Node, headless Chromium and workerd. */
const PORTABLE = ['tests/**/*.portable.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.browser.test.ts', 'tests/**/*.workers.test.ts', 'tests/e2e/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Sigstore trust roots never come from the network in tests (cli/trust.ts): the CLI runs --offline and reads
          // an empty TUF cache, so it uses the embedded root unless a test gives its own (tests/tuf/*).
          env: { MODEL_VERIFY_OFFLINE: '1', MODEL_VERIFY_TUF_CACHE: '/nonexistent/model-verify-tests/tuf' },
        },
      },
      {
        // Pre-bundled up front: discovered mid-run, Vite reloads the page and can re-run tests (core/sign uses scrypt).
        optimizeDeps: { include: ['@noble/hashes/scrypt.js', '@freedomofpress/tuf-browser'] },
        test: {
          name: 'browser',
          include: [...PORTABLE, 'tests/hash/*.browser.test.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        // CompiledWasm: `.wasm` imports become precompiled modules, as wrangler does (not Vite's runtime instantiation).
        plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-04-26', modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }] } })],
        test: { name: 'workers', include: [...PORTABLE, 'tests/hash/*.workers.test.ts'], testTimeout: 60_000 },
      },
      {
        // The edge Worker itself (wrangler.toml: R2, KV, assets) in workerd; *.workers.test.ts stay out of 'node'.
        // Outbound fetches (the signing proxy's upstreams) go to a double in Node: the tests never touch the network.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { ADMIN_TOKEN: 'test-admin-token', SIGNING_PROXY_ALLOW: 'https://sigstore.private.test, https://stack.private.test' },
              outboundService: upstreamDouble as never,
            },
          }),
        ],
        test: { name: 'worker', include: ['tests/worker/**/*.workers.test.ts'], globalSetup: ['tests/worker/global-setup.ts'], testTimeout: 60_000 },
      },
    ],
  },
});
