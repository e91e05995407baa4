/** Registers <model-verify> once, even when both the npm package and the CDN build are loaded. */
import { ModelVerifyElement } from './model-verify.js';

export function defineModelVerify(tag = 'model-verify'): void {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  // A subclass per extra tag name: one constructor cannot be registered twice.
  customElements.define(tag, tag === 'model-verify' ? ModelVerifyElement : class extends ModelVerifyElement {});
}
