/**
 * What the public Sigstore services allow cross-origin (rs/cors `Default()`: any origin, GET/POST/HEAD, request
 * headers accept / content-type / x-requested-with, no credentials). Wrapping the stack's fetch with this check
 * proves the client's requests would pass a browser's CORS preflight against them.
 */
const METHODS = new Set(['GET', 'POST', 'HEAD']);
const HEADERS = new Set(['accept', 'content-type', 'x-requested-with']);

export function corsChecked(inner: (url: string, init: RequestInit) => Promise<Response>, seen: string[] = []) {
  return (url: string, init: RequestInit): Promise<Response> => {
    const method = (init.method ?? 'GET').toUpperCase();
    if (!METHODS.has(method)) throw new TypeError(`CORS: method ${method} is not allowed`);
    for (const [name] of new Headers(init.headers)) {
      if (!HEADERS.has(name.toLowerCase())) throw new TypeError(`CORS: request header '${name}' would fail the preflight`);
    }
    if (init.credentials === 'include') throw new TypeError('CORS: credentials are not allowed');
    seen.push(`${method} ${new URL(url).pathname}`);
    return inner(url, init);
  };
}
