/**
 * The hash-wasm hashers core falls back to, in a module of their own: core/hash/hasher.ts imports it on first use,
 * and naming the three factories here (rather than importing hash-wasm's whole namespace) lets bundlers drop
 * the dozens of other algorithms hash-wasm ships.
 */
export { createBLAKE2b, createBLAKE3, createSHA256 } from 'hash-wasm';
