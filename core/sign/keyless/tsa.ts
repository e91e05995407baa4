/** RFC 3161 timestamp over the signature bytes (DER request/response, so any RFC 3161 TSA works). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from '../../errors.js';
import { ab, equalBytes, sha256 } from '../../util/bytes.js';
import { postDer, type Fetch } from './http.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

/** Returns the DER TimeStampResp, as a bundle's `rfc3161Timestamps[].signedTimestamp` carries it. */
export async function requestTimestamp(f: Fetch, tsaUrl: string, signature: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(8));
  nonce[0] = (nonce[0]! % 0x7f) + 1; // positive and minimal as a DER INTEGER, so a TSA echoes the same bytes
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: ab(await sha256(signature)) }),
    }),
    nonce: new asn1js.Integer({ valueHex: ab(nonce) }),
    certReq: true,
  });
  const der = await postDer(f, tsaUrl, new Uint8Array(req.toSchema().toBER(false)), 'application/timestamp-query', 'The timestamp authority', signal);
  let resp: pkijs.TimeStampResp;
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset !== der.length) throw new Error('trailing bytes');
    resp = new pkijs.TimeStampResp({ schema: asn.result });
  } catch {
    fail('SIGN_FAILED', 'The timestamp authority sent a malformed response');
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) fail('SIGN_FAILED', `The timestamp authority refused the request (status ${status})`);
  if (!resp.timeStampToken) fail('SIGN_FAILED', 'The timestamp authority sent no token');
  // The token must answer this request: same imprint, same nonce (the verifier checks the signature and time).
  let tst: pkijs.TSTInfo;
  try {
    const sd = new pkijs.SignedData({ schema: resp.timeStampToken.content });
    const content = sd.encapContentInfo.eContent;
    if (!content) throw new Error('no content');
    const inner = asn1js.fromBER(content.getValue());
    tst = new pkijs.TSTInfo({ schema: inner.result });
  } catch {
    fail('SIGN_FAILED', 'The timestamp authority sent a token without a readable TSTInfo');
  }
  const same = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array) => equalBytes(new Uint8Array(a), new Uint8Array(b));
  if (!same(tst.messageImprint.hashedMessage.valueBlock.valueHexView, await sha256(signature)))
    fail('SIGN_FAILED', 'The timestamp covers different data than the signature');
  if (!tst.nonce || !same(tst.nonce.valueBlock.valueHexView, nonce)) fail('SIGN_FAILED', 'The timestamp does not echo our nonce');
  return der;
}
