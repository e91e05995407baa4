/** Rebuilds the reference's serializer test models (tests/conftest.py recipes, oms-format §4.5). */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REFERENCE_MODELS = [
  'sample_model_file',
  'empty_model_file',
  'sample_model_folder',
  'empty_model_folder',
  'model_folder_with_empty_file',
  'deep_model_folder',
  'symlink_model_folder',
] as const;
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];

/** Returns the model path (a file for the *_file fixtures). */
export function buildReferenceModel(kind: ReferenceModel): string {
  const tmp = mkdtempSync(path.join(tmpdir(), 'mv-ref-'));
  const dir = (name: string) => {
    const d = path.join(tmp, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  switch (kind) {
    case 'sample_model_file': {
      const f = path.join(tmp, 'file_model');
      writeFileSync(f, 'This is a simple model');
      return f;
    }
    case 'empty_model_file': {
      const f = path.join(tmp, 'empty_file_model');
      writeFileSync(f, '');
      return f;
    }
    case 'sample_model_folder': {
      const d = dir('sample_model');
      for (let i = 0; i < 2; i++) {
        mkdirSync(path.join(d, `d${i}`));
        for (let j = 0; j < 3; j++) writeFileSync(path.join(d, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
      }
      for (let i = 0; i < 4; i++) writeFileSync(path.join(d, `f${i}`), `This is file f${i} in root.`);
      return d;
    }
    case 'empty_model_folder':
      return dir('empty_folder_model');
    case 'model_folder_with_empty_file': {
      const d = dir('empty_file_inside_model');
      writeFileSync(path.join(d, 'empty_file'), '');
      return d;
    }
    case 'deep_model_folder': {
      const d = dir('deep_model');
      const deep = path.join(d, 'd0/d1/d2/d3/d4');
      mkdirSync(deep, { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(path.join(deep, `f${i}`), `This is file f${i}.`);
      return d;
    }
    case 'symlink_model_folder': {
      const d = dir('symlink_model');
      const target = path.join(tmp, 'external_file');
      writeFileSync(target, 'This is a simple model');
      symlinkSync(target, path.join(d, 'symlink_file'));
      return d;
    }
  }
}
