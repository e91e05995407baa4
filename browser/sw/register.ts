/**
 * The page side of the verifying Service Worker: stores the configuration (the signature's bytes, the policy, the
 * prefixes) where the worker reads it, registers the worker and waits until it controls the page, so the very
 * next request under a prefix is verified.
 */
import { fetchBytes } from '../../core/sources/index.js';
import type { Policy } from '../../core/index.js';
import { absolutePrefixes, CONFIG_CACHE, configKey, PREFIXES_PARAM, type VerifierConfig } from './config.js';

export interface RegisterModelVerifierOptions {
  /** URL prefixes whose requests are verified (the model folder and any mirror of it). */
  prefixes: (string | URL)[];
  /** The signature: bytes, JSON text, or a URL (fetched now; the worker keeps the bytes, so it works offline). */
  signature: string | URL | Uint8Array;
  policy: Policy;
  /** The worker script: a module that calls serveModelVerifier(self) (see docs/runtimes.md). */
  swUrl: string | URL;
  /** Registration scope (default: the script's folder; a wider one needs the Service-Worker-Allowed header). */
  scope?: string;
  /** How long to wait for the worker to take control (default 10 s). */
  timeoutMs?: number;
}

async function signatureText(sig: RegisterModelVerifierOptions['signature']): Promise<string> {
  if (sig instanceof Uint8Array) return new TextDecoder().decode(sig);
  if (typeof sig === 'string' && sig.trimStart().startsWith('{')) return sig;
  return new TextDecoder().decode(await fetchBytes(new URL(String(sig), location.href), 'signature'));
}

export async function registerModelVerifier(opts: RegisterModelVerifierOptions): Promise<ServiceWorkerRegistration> {
  const sw = navigator.serviceWorker;
  if (!sw) throw new Error('Service Workers are not available here (they need a secure context: https or localhost)');
  const prefixes = absolutePrefixes(opts.prefixes, location.href);
  const config: VerifierConfig = { prefixes, signature: await signatureText(opts.signature), policy: opts.policy };
  // Written before the worker can see a request, and kept for its restarts.
  await (await caches.open(CONFIG_CACHE)).put(configKey(prefixes), new Response(JSON.stringify(config), { headers: { 'content-type': 'application/json' } }));
  const script = new URL(opts.swUrl, location.href);
  script.searchParams.set(PREFIXES_PARAM, JSON.stringify(prefixes));
  const reg = await sw.register(script.href, { type: 'module', ...(opts.scope ? { scope: opts.scope } : {}) });
  if (!sw.controller || sw.controller.scriptURL !== script.href) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('The model-verify Service Worker did not take control of this page')), opts.timeoutMs ?? 10_000);
      const check = () => {
        if (sw.controller?.scriptURL === script.href) {
          clearTimeout(timer);
          sw.removeEventListener('controllerchange', check);
          resolve();
        }
      };
      sw.addEventListener('controllerchange', check);
      check();
    });
  }
  return reg;
}
