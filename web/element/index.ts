/**
 * Entry of dist/model-verify.js (CDN / <script type="module">): registers <model-verify> and exports its class.
 * Defining the tag is the only side effect; verification work starts in verify() or with `auto`.
 */
import { defineModelVerify } from './define.js';

export { ModelVerifyElement, type VerifyProgressDetail, type VerifyResultDetail } from './model-verify.js';
export { defineModelVerify } from './define.js';
export type { VerificationReport, Policy } from '../verify-run.js';

defineModelVerify();
