/**
 * The part of the WebAssembly JavaScript API the STA kernel uses, typed here: Node has it all, but
 * @types/node 20 declares none of it, and the DOM library (which does) is not ours to include.
 */
export interface WasmMemory {
  /** A SharedArrayBuffer when the memory is shared; a longer one after each grow. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module: it can be instantiated in several threads, sharing its compiled code. */
export type WasmModule = object;

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

/** globalThis.WebAssembly, typed. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
