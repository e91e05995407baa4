/**
 * A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution; scripts/ensure-registry.mjs
 * installs it) on 127.0.0.1 with a temporary storage directory and a generated config, plus a small client that
 * pushes blobs and manifests over the distribution API (POST + PUT monolithic upload, PUT manifest). Test code only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REGISTRY_BIN = process.env.REGISTRY_BIN ?? '/usr/bin/docker-registry';

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BIN);
}

export interface Registry {
  /** `127.0.0.1:PORT`, as written in `oci://` references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  stop(): Promise<void>;
}

/** `auth` passes a registry `auth:` section (YAML lines, indented by two spaces) for token-auth tests. */
export async function startRegistry(opts: { auth?: string } = {}): Promise<Registry> {
  if (!registryAvailable()) throw new Error(`No OCI registry at ${REGISTRY_BIN}: run node scripts/ensure-registry.mjs (as root) or set REGISTRY_BIN`);
  const dir = mkdtempSync(path.join(tmpdir(), 'mv-registry-'));
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      '  addr: 127.0.0.1:0',
      ...(opts.auth ? ['auth:', opts.auth] : []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${log}`)), 15_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited (${code}):\n${log}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const digestOf = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes one blob (monolithic upload: POST for a session, PUT with the digest). Returns its digest. */
export async function pushBlob(url: string, repo: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const digest = digestOf(bytes);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status} ${await start.text()}`);
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    body: new Uint8Array(bytes),
  });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${await put.text()}`);
  return digest;
}

/** Pushes a manifest under a tag (or digest). Returns the registry's Docker-Content-Digest. */
export async function pushManifest(
  url: string,
  repo: string,
  ref: string,
  manifest: Uint8Array,
  mediaType = 'application/vnd.oci.image.manifest.v1+json',
  headers: Record<string, string> = {},
): Promise<string> {
  const r = await fetch(`${url}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body: new Uint8Array(manifest),
  });
  if (r.status !== 201) throw new Error(`manifest push: HTTP ${r.status} ${await r.text()}`);
  return r.headers.get('docker-content-digest') ?? digestOf(manifest);
}

/** Pushes blobs then the manifest: an image or artifact in one call. */
export async function pushImage(
  url: string,
  repo: string,
  tag: string,
  blobs: Uint8Array[],
  manifest: Uint8Array,
  mediaType?: string,
  headers: Record<string, string> = {},
): Promise<string> {
  for (const b of blobs) await pushBlob(url, repo, b, headers);
  return pushManifest(url, repo, tag, manifest, mediaType, headers);
}
