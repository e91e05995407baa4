/**
 * Entry `model-verify/browser`: the browser adapter. `BrowserFileSource` over picked or dropped files (and File
 * System Access handles), and the Web Worker hash pool (WebCrypto, hash-wasm, or pure JS under a strict CSP).
 * Nothing runs at import time: workers start on the first hashing run.
 */
export {
  BrowserFileSource,
  directoryPicker,
  droppedFiles,
  entriesOf,
  pickedFromEntries,
  pickedFromHandle,
  pickedFromInput,
  type PickedFile,
} from './file-source.js';
export { BrowserHashPool, type BrowserBackendOptions } from './hash-pool.js';
export { SerialBackend, browserHashBackend } from './serial-backend.js';
