/**
 * statementPayload writes the statement's bytes straight into a buffer (with room for its PAE header) instead of
 * serializing an object per resource. Against the plain serializer it replaced, `pythonStyleJson(buildStatement(x))`
 * encoded: the same bytes for any names (quotes, backslashes, control and non-ASCII characters), models, ignore paths,
 * files or shards, from a resource list or from the packed form; and signing's PAE of it is the concatenated one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pae } from '../../core/bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../core/bundle/types.js';
import type { PackedResources } from '../../core/manifest/types.js';
import { buildStatement, pythonStyleJson, statementPayload, type StatementInput } from '../../core/sign/statement.js';
import { concatBytes, toHex } from '../../core/util/bytes.js';

// Both sides of what a name written as its characters may hold (printable ASCII but '"' and '\'): '!', '#', '[', ']',
// '~', DEL and the controls and non-ASCII that JSON or ensure_ascii escape.
const text = fc.string({
  unit: fc.constantFrom('a', 'b', '/', '"', '\\', '\n', '\u0001', '\u001f', '\u007f', 'é', '😀', ':', ' ', '!', '#', '[', ']', '~'),
  maxLength: 8,
});

describe('statementPayload', () => {
  it('writes exactly the bytes of the plain serializer, from a list or packed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.uint8Array({ minLength: 32, maxLength: 32 })), { maxLength: 6 }),
        text,
        fc.array(text, { maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        (items, modelName, ignorePaths, shards, allowSymlinks) => {
          const algorithm = shards ? 'sha256-sharded-100' : 'sha256';
          const resources = items.map(([id, d]) => ({ id, algorithm, digest: toHex(d) }));
          const input: StatementInput = {
            modelName,
            rootDigest: 'ab'.repeat(32),
            serialization: shards
              ? { method: 'shards', hashType: 'sha256', shardSize: 100, allowSymlinks }
              : { method: 'files', hashType: 'sha256', allowSymlinks },
            ignorePaths,
            resources,
          };
          const want = new TextEncoder().encode(pythonStyleJson(buildStatement(input)));
          const packed: PackedResources = { ids: items.map(([id]) => id), algorithm, width: 32, digests: concatBytes(...items.map(([, d]) => d)) };
          for (const got of [statementPayload(input), statementPayload({ ...input, resources: [], packed })]) {
            expect(got).toEqual(want);
            expect(pae(IN_TOTO_PAYLOAD_TYPE, got)).toEqual(
              concatBytes(new TextEncoder().encode(`DSSEv1 ${IN_TOTO_PAYLOAD_TYPE.length} ${IN_TOTO_PAYLOAD_TYPE} ${want.length} `), want),
            );
          }
          expect(buildStatement({ ...input, resources: [], packed })).toEqual(buildStatement(input));
        },
      ),
      { numRuns: 150 },
    );
  });
});
