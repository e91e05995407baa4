/** JSON/DER over fetch for the Sigstore services. No custom headers: browsers must pass CORS preflight (rs/cors Default). */
import { fail } from '../../errors.js';
import { ab } from '../../util/bytes.js';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

const MAX_RESPONSE = 1 << 20;

async function send(f: Fetch, url: string, body: BodyInit, type: string, what: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await f(url, { method: 'POST', headers: { 'content-type': type }, body, ...(signal ? { signal } : {}) });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    fail('SIGN_FAILED', `${what}: cannot reach ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 500);
    fail('SIGN_FAILED', `${what} refused the request (HTTP ${res.status}): ${text}`);
  }
  return res;
}

async function bytesOf(res: Response, what: string): Promise<Uint8Array> {
  const b = new Uint8Array(await res.arrayBuffer());
  if (b.length > MAX_RESPONSE) fail('SIGN_FAILED', `${what} sent an oversized response`);
  return b;
}

export async function postJson(f: Fetch, url: string, body: unknown, what: string, signal?: AbortSignal): Promise<unknown> {
  const res = await send(f, url, JSON.stringify(body), 'application/json', what, signal);
  const text = new TextDecoder().decode(await bytesOf(res, what));
  try {
    return JSON.parse(text);
  } catch {
    fail('SIGN_FAILED', `${what} sent a response that is not JSON`);
  }
}

export async function postDer(f: Fetch, url: string, body: Uint8Array, type: string, what: string, signal?: AbortSignal): Promise<Uint8Array> {
  return bytesOf(await send(f, url, ab(body), type, what, signal), what);
}
