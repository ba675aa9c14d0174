import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { assemble, moduleText, WASM_SOURCES } from '../../scripts/build-wasm.js';

describe('WebAssembly modules', () => {
  for (const { wat, module, constant } of WASM_SOURCES) {
    it(`${module} is what ${wat} assembles to (run npm run build:wasm after editing the .wat)`, async () => {
      const binary = await assemble(wat, await readFile(wat, 'utf8'));
      expect(await readFile(module, 'utf8')).toBe(moduleText(wat, constant, binary));
    });
  }
});
