/**
 * IndexedDB persistence for core's TUF client (core/sigstore/tuf): the metadata a page or Web Worker refreshed the
 * Sigstore trust root with survives reloads, so later refreshes check rollback against it and fetch only what changed.
 */
import type { TufStorage } from '../core/sigstore/tuf/index.js';

const STORE = 'tuf';

function open(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run<T>(db: IDBDatabase, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = f(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

/** A TufStorage in the IndexedDB database `name` (one object store, string values). */
export function indexedDbTufStorage(name = 'model-verify-tuf'): TufStorage {
  let db: Promise<IDBDatabase> | undefined;
  const conn = () => (db ??= open(name));
  return {
    async get(key) {
      const v = await run<unknown>(await conn(), 'readonly', (s) => s.get(key));
      return typeof v === 'string' ? v : undefined;
    },
    async put(key, value) {
      await run(await conn(), 'readwrite', (s) => s.put(value, key));
    },
    async delete(key) {
      await run(await conn(), 'readwrite', (s) => s.delete(key));
    },
  };
}
