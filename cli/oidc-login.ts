/**
 * Interactive OIDC sign-in for `sign sigstore` without a token: PKCE code flow with a loopback redirect
 * (a one-shot HTTP listener on 127.0.0.1), or an out-of-band code typed into the terminal (--oauth-force-oob).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline/promises';
import { ModelVerifyError } from '../core/errors.js';
import { authorizationRequest, discover, exchangeCode } from '../core/sign/keyless/index.js';

const fetcher = (url: string, init: RequestInit) => fetch(url, init);
const LOGIN_TIMEOUT_MS = 5 * 60_000;

export async function interactiveToken(issuer: string, o: { forceOob?: boolean; clientId?: string } = {}): Promise<string> {
  const ep = await discover(fetcher, issuer);
  const clientId = o.clientId ?? 'sigstore';
  if (o.forceOob) {
    if (!process.stdin.isTTY) throw new ModelVerifyError('POLICY_INVALID', 'Out-of-band sign-in needs a terminal; pass --identity-token instead');
    const req = await authorizationRequest(ep, undefined, clientId);
    process.stderr.write(`Open this URL in a browser and sign in:\n\n  ${req.url}\n\n`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const code = await rl.question('Enter the verification code: ');
    rl.close();
    return exchangeCode(fetcher, ep, req, code, undefined, clientId);
  }

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirect = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/callback`;
  const req = await authorizationRequest(ep, redirect, clientId);
  try {
    const callback = new Promise<URLSearchParams>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ModelVerifyError('ABORTED', 'Sign-in timed out')), LOGIN_TIMEOUT_MS);
      server.on('request', (r, res) => {
        const u = new URL(r.url ?? '/', redirect);
        if (u.pathname !== '/auth/callback') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Signed in. You can close this window and return to the terminal.\n');
        clearTimeout(timer);
        resolve(u.searchParams);
      });
    });
    process.stderr.write(`Open this URL in a browser to sign in (waiting on ${redirect}):\n\n  ${req.url}\n\n`);
    const q = await callback;
    if (q.get('error')) throw new ModelVerifyError('SIGN_FAILED', `Sign-in failed: ${q.get('error_description') ?? q.get('error')}`);
    return await exchangeCode(fetcher, ep, req, q.get('code') ?? '', q.get('state') ?? '', clientId);
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
}
