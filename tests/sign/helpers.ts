/** Shared test data for tests/sign: the reference's serializer fixture models, rebuilt per oms-format §4.5. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const REPO = path.resolve(HERE, '../..');
export const KEYS = path.join(HERE, 'keys');
export const REF_KEYS = path.join(REPO, 'tests/fixtures/model-transparency/scripts/tests/keys/certificate');
export const GOLDENS = path.join(REPO, 'tests/fixtures/model-transparency/scripts/tests');
export const PAYLOADS = path.join(REPO, 'tests/fixtures/model-transparency/tests/_signing/testdata/signing/TestPayload');

export const key = (name: string) => readFileSync(path.join(KEYS, name), 'utf8');
export const refKey = (name: string) => readFileSync(path.join(REF_KEYS, name), 'utf8');

export function tempDir(prefix = 'mv-sign-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Fixture name (as in TestPayload) → model path inside `root` (the subject name is the basename). */
export function buildReferenceModels(root: string): Record<string, string> {
  const sample = path.join(root, 'sample_model');
  for (let i = 0; i < 2; i++) {
    mkdirSync(path.join(sample, `d${i}`), { recursive: true });
    for (let j = 0; j < 3; j++) writeFileSync(path.join(sample, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
  }
  for (let i = 0; i < 4; i++) writeFileSync(path.join(sample, `f${i}`), `This is file f${i} in root.`);

  const deep = path.join(root, 'deep_model');
  const deepDir = path.join(deep, 'd0/d1/d2/d3/d4');
  mkdirSync(deepDir, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(path.join(deepDir, `f${i}`), `This is file f${i}.`);

  writeFileSync(path.join(root, 'file_model'), 'This is a simple model');
  writeFileSync(path.join(root, 'empty_file_model'), '');
  mkdirSync(path.join(root, 'empty_folder_model'));
  mkdirSync(path.join(root, 'empty_file_inside_model'));
  writeFileSync(path.join(root, 'empty_file_inside_model', 'empty_file'), '');

  // The reference links to a file outside the model; our serializer refuses links that leave the model, so the
  // target sits in the model's (ignored) .git directory: same name, same content, same digests.
  const sym = path.join(root, 'symlink_model');
  mkdirSync(path.join(sym, '.git'), { recursive: true });
  writeFileSync(path.join(sym, '.git', 'target'), 'This is a simple model');
  symlinkSync(path.join(sym, '.git', 'target'), path.join(sym, 'symlink_file'));

  return {
    sample_model_folder: sample,
    deep_model_folder: deep,
    sample_model_file: path.join(root, 'file_model'),
    empty_model_file: path.join(root, 'empty_file_model'),
    empty_model_folder: path.join(root, 'empty_folder_model'),
    model_folder_with_empty_file: path.join(root, 'empty_file_inside_model'),
    symlink_model_folder: sym,
  };
}

/** A model with a typical layout: nested files, a hidden file, git metadata, a file to ignore. */
export function buildMixedModel(root: string): string {
  const m = path.join(root, 'mixed-model');
  mkdirSync(path.join(m, 'weights'), { recursive: true });
  mkdirSync(path.join(m, '.git'), { recursive: true });
  writeFileSync(path.join(m, 'config.json'), '{"layers": 2}\n');
  writeFileSync(
    path.join(m, 'weights', 'a.bin'),
    new Uint8Array(1000).map((_, i) => i % 251),
  );
  writeFileSync(path.join(m, 'weights', 'b.bin'), new Uint8Array(37).fill(7));
  writeFileSync(path.join(m, '.hidden'), 'hidden files are signed');
  writeFileSync(path.join(m, '.gitignore'), '*.tmp\n');
  writeFileSync(path.join(m, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(m, 'ignore-me'), 'not signed');
  return m;
}

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the CLI bundle when it is older than cli/ or core/. Test files run in parallel workers, and a bundle
 * rewritten while another test's CLI loads it breaks that run, so builds are serialized with a lock directory.
 */
export async function ensureCliBuilt(): Promise<void> {
  const bundle = path.join(REPO, 'dist/cli/model-verify.mjs');
  const lock = path.join(REPO, 'dist/.cli-build-lock');
  const stale = () => {
    try {
      return statSync(bundle).mtimeMs < Math.max(newestSource(path.join(REPO, 'cli')), newestSource(path.join(REPO, 'core')));
    } catch {
      return true;
    }
  };
  for (let i = 0; i < 600; i++) {
    if (!stale()) return;
    try {
      mkdirSync(path.join(REPO, 'dist'), { recursive: true });
      mkdirSync(lock);
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // another worker is building
      continue;
    }
    try {
      if (stale()) execFileSync(process.execPath, [path.join(REPO, 'scripts/build-cli.mjs')], { cwd: REPO });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  if (stale()) throw new Error('the CLI bundle could not be built');
}
