/** Human-readable rendering of a VerificationReport for the terminal. */
import type { TrustRootInfo, VerificationReport } from '../core/verify/index.js';
import { formatBytes } from '../core/util/index.js';
import { sanitizeLines } from './sanitize.js';

export function renderSuccess(r: VerificationReport): string {
  const lines = ['Verification succeeded'];
  const s = r.signer;
  if (s?.method === 'key')
    lines.push(
      `  signer:    public key ${s.keyHint ?? ''}${s.keyName ? ` (${s.keyName})` : ''}${s.legacyKeyMaterial ? ' (legacy signature without key hint)' : ''}`,
    );
  if (s?.method === 'certificate' && s.certificate) {
    lines.push(`  signer:    certificate ${s.certificate.subject} (serial ${s.certificate.serialNumber})`);
    lines.push(`  chain:     ${(s.chain ?? []).map((c) => c.subject).join(' → ')}`);
    lines.push(`  valid:     ${s.certificate.notBefore} … ${s.certificate.notAfter}`);
  }
  if (s?.method === 'sigstore') {
    lines.push(`  identity:  ${s.identity ?? '?'}`);
    lines.push(`  issuer:    ${s.issuer ?? '?'}`);
    for (const [k, v] of Object.entries(s.claims ?? {})) lines.push(`  ${k}: ${v}`);
    if (s.certificate)
      lines.push(
        `  cert:      issued by ${s.certificate.issuer}, valid ${s.certificate.notBefore} … ${s.certificate.notAfter} (serial ${s.certificate.serialNumber})`,
      );
    if (s.log)
      lines.push(
        `  log:       ${s.log.url ?? s.log.logId} index ${s.log.logIndex}${s.log.integratedTime ? ` at ${s.log.integratedTime}` : ''} (${s.log.kind}, log ID ${s.log.logId})`,
      );
    for (const t of s.timestamps ?? []) lines.push(`  time:      ${t.time} (${t.source}${t.authority ? ` ${t.authority}` : ''})`);
  }
  if (r.trustRoot) lines.push(`  trust:     ${trustLine(r.trustRoot)}`);
  if (r.serialization) {
    const ser = r.serialization;
    const signed = r.resources.filter((x) => x.status === 'ok').length;
    lines.push(
      `  model:     ${r.model.name}: ${signed} ${ser.method === 'shards' ? 'shards' : 'files'} verified, ${formatBytes(r.bytesHashed)} hashed (${ser.hashType}${ser.shardSize ? `, shard ${ser.shardSize}` : ''}) in ${(r.millis / 1000).toFixed(2)} s`,
    );
  }
  const unsigned = r.resources.filter((x) => x.status === 'unsigned').length;
  if (unsigned) lines.push(`  ignored:   ${unsigned} unsigned file(s)`);
  lines.push(...remoteLines(r));
  // Identities, subjects, URLs and the model name come from the bundle or the filesystem: escape controls.
  return sanitizeLines(lines);
}

/** Which trust root was used, how it was obtained and how current it is (report.trustRoot, one line). */
export function trustLine(t: TrustRootInfo, now = Date.now()): string {
  const how = { tuf: 'refreshed through TUF', cache: 'cached TUF metadata', embedded: 'embedded at build time', file: 'from a file' };
  const parts: string[] = t.origin ? [how[t.origin]] : [];
  if (t.tufRootVersion && !t.source.includes(`TUF root v${t.tufRootVersion}`)) parts.push(`TUF root v${t.tufRootVersion}`);
  if (t.checkedAt) parts.push(`checked ${t.checkedAt.slice(0, 16).replace('T', ' ')} UTC`);
  if (t.expires) parts.push(`${Date.parse(t.expires) < now ? 'metadata EXPIRED' : 'metadata expires'} ${t.expires.slice(0, 10)}`);
  // "<source> (<date the material is current as of>)", then how it was obtained.
  return `${t.source}${t.date ? ` (${t.date})` : ''}${parts.length ? `, ${parts.join(', ')}` : ''}`;
}

export function renderFailure(r: VerificationReport): string {
  const [first, ...rest] = r.errors;
  const lines = [`Verification failed with error: ${first?.message ?? 'unknown error'}`];
  for (const e of rest.slice(0, 50)) lines.push(`  ${e.message}`);
  if (rest.length > 50) lines.push(`  … and ${rest.length - 50} more`);
  if (first) lines.push(`  [${first.code}]`);
  lines.push(...remoteLines(r));
  // Messages quote media types, names and values from the bundle and the model: escape controls.
  return sanitizeLines(lines);
}

/** A pinned remote's commit and its own digest claim (a claim, not the verdict above it). */
function remoteLines(r: VerificationReport): string[] {
  const out: string[] = [];
  const rev = r.model.revision;
  if (rev) out.push(`  revision:  ${rev.requested === rev.commit ? rev.commit : `${rev.requested} = commit ${rev.commit}`}`);
  if (r.model.remoteClaim) out.push(`  hub claim: ${r.model.remoteClaim.summary}`);
  return out;
}
