/**
 * `model-verify inspect SIGNATURE`: who claims to have signed and how to verify it (core's inspectSignature).
 * The output says plainly that nothing was accepted, and ends with the `verify` command that would check the
 * claimed signer — for the user to run only if that signer is the one they expect.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { MAX_BUNDLE_BYTES } from '../core/bundle/index.js';
import { toModelVerifyError } from '../core/errors.js';
import { inspectSignature, type SignatureInspection } from '../core/verify/index.js';
import { readBytes } from './read-input.js';
import { trustLine } from './render.js';
import { sanitize, sanitizeLines, shellWord, terminalJson } from './sanitize.js';
import { loadTrustedRoot, type TrustOptions } from './trust.js';

export interface InspectCliOptions extends TrustOptions {
  json?: boolean;
}

/** A directory stands for the model.sig inside it, as `verify MODEL` defaults to; it is then the model too. */
function signaturePath(p: string): { sig: string; model?: string } {
  try {
    if (statSync(p).isDirectory()) return { sig: path.join(p, 'model.sig'), model: p };
  } catch {
    /* reading it reports the error */
  }
  return { sig: p };
}

export function renderInspection(r: SignatureInspection, sig: string, model?: string): string {
  const lines = ['Signature inspected: this is who CLAIMS to have signed. No policy was checked and no model was hashed.'];
  const s = r.signer;
  lines.push(`  method:    ${r.method}`);
  let flags: string;
  if (s.method === 'sigstore') {
    lines.push(`  identity:  ${s.identity}`);
    for (const other of s.identities.slice(1, 5)) lines.push(`             ${other}`);
    lines.push(`  issuer:    ${s.issuer}`);
    for (const [k, v] of Object.entries(s.claims).slice(0, 64)) lines.push(`  ${k}: ${v}`);
    lines.push(
      `  cert:      issued by ${s.certificate.issuer}, valid ${s.certificate.notBefore} … ${s.certificate.notAfter} (serial ${s.certificate.serialNumber})`,
    );
    lines.push(`  log:       ${s.log.url ?? s.log.logId} index ${s.log.logIndex}${s.log.integratedTime ? ` at ${s.log.integratedTime}` : ''} (${s.log.kind})`);
    for (const t of s.timestamps) lines.push(`  time:      ${t.time} (${t.source}${t.authority ? ` ${t.authority}` : ''})`);
    flags = `--identity ${shellWord(s.identity)} --identity-provider ${shellWord(s.issuer)}`;
  } else if (s.method === 'certificate') {
    lines.push(`  signer:    certificate ${s.certificate.subject} (serial ${s.certificate.serialNumber}; not anchored to any CA)`);
    if (s.sans.length) lines.push(`  names:     ${s.sans.slice(0, 5).join(', ')}`);
    lines.push(`  issuer:    ${s.certificate.issuer}`);
    lines.push(`  valid:     ${s.certificate.notBefore} … ${s.certificate.notAfter}`);
    lines.push(`  sha256:    ${s.certificate.sha256Fingerprint}`);
    lines.push(`  chain:     ${s.chain.map((c) => c.subject).join(' → ')} (as shipped in the signature, unverified)`);
    flags = '--certificate-chain CA.pem';
  } else {
    lines.push(`  key hint:  ${s.keyHint ?? 'none (signed before model_signing 1.1)'}`);
    flags = '--public-key SIGNER.pub.pem';
  }
  if (r.trustRoot) lines.push(`  trust:     ${trustLine(r.trustRoot)}`);
  const st = r.statement;
  lines.push(
    `  statement: ${st.subjectName}: ${st.resources} ${st.serialization.method === 'shards' ? 'shards' : 'files'} (${st.serialization.hashType})${st.rootDigest ? `, root sha256:${st.rootDigest}` : ''}`,
  );
  lines.push('Checked:');
  for (const c of r.checked) lines.push(`  ✓ ${c}`);
  lines.push('Not checked:');
  for (const c of r.notChecked) lines.push(`  ✗ ${c}`);
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  lines.push(s.method === 'sigstore' ? 'If this is the signer you expect, verify the model with:' : 'To verify the model:');
  // For a model directory the signature is its default one; otherwise the model is for the user to name.
  lines.push(`  model-verify verify ${model === undefined ? `MODEL --signature ${shellWord(sig)}` : shellWord(model)} ${flags}`);
  // Identities, subjects and names come from the bundle: escape controls.
  return sanitizeLines(lines);
}

export async function runInspect(signature: string, o: InspectCliOptions): Promise<void> {
  const { sig, model } = signaturePath(signature);
  try {
    const bytes = await readBytes(sig, 'signature', MAX_BUNDLE_BYTES);
    const trustWarnings: string[] = [];
    const trustedRoot = await loadTrustedRoot(o, trustWarnings);
    if (!o.json) for (const w of trustWarnings) process.stderr.write(`WARNING: ${sanitize(w)}\n`);
    const r = await inspectSignature(bytes, trustedRoot ? { trustedRoot } : {});
    process.stdout.write(`${o.json ? terminalJson(r) : renderInspection(r, sig, model)}\n`);
    process.exitCode = 0;
  } catch (e) {
    const err = toModelVerifyError(e);
    if (o.json) process.stdout.write(`${terminalJson({ error: err.toJSON() })}\n`);
    else process.stderr.write(`Inspection failed with error: ${sanitize(err.message)}\n  [${err.code}]\n`);
    process.exitCode = 1;
  }
}
