/**
 * Entry `model-verify/element/class`: the `<model-verify>` class without registering any tag, for apps that
 * pick their own tag name (`defineModelVerify('my-verify')`) or subclass it. Importing this has no side effects.
 */
export { ModelVerifyElement, type VerifyProgressDetail, type VerifyResultDetail } from './model-verify.js';
export { defineModelVerify } from './define.js';
export type { VerificationReport, Policy } from '../verify-run.js';
