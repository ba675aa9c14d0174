/**
 * The API reference: every exported name carries a doc comment, and TypeDoc builds the reference
 * from them without a warning (an undocumented class or type, a broken {@link}, or a public
 * signature that names a type the package does not export).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ENTRY_POINTS = ['src/index.ts', 'src/core.ts'];

/** Exported names of an entry point whose declarations carry no doc comment. */
function undocumentedExports(program: ts.Program, entry: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.resolve(entry));
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${entry} is not a module`);
  return checker.getExportsOfModule(module).flatMap((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    const documented = symbol.getDocumentationComment(checker).length > 0
      || declarations.some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    const where = declarations[0] ? path.relative(process.cwd(), declarations[0].getSourceFile().fileName) : '?';
    return documented ? [] : [`${exported.name} (${where})`];
  });
}

describe('API reference', () => {
  it('has a doc comment on every exported name', () => {
    const config = ts.getParsedCommandLineOfConfigFile('tsconfig.build.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    const program = ts.createProgram({ rootNames: ENTRY_POINTS, options: { ...config!.options, noEmit: true } });
    const names = ENTRY_POINTS.flatMap((entry) => checkerNames(program, entry));
    expect(names.length).toBeGreaterThan(100);
    expect([...new Set(ENTRY_POINTS.flatMap((entry) => undocumentedExports(program, entry)))]).toEqual([]);
  });

  it('builds with TypeDoc, with no warning', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'rg-api-'));
    const typedoc = path.resolve('node_modules/typedoc/bin/typedoc');
    const result = await run(process.execPath, [typedoc, '--out', out], { maxBuffer: 16 * 1024 * 1024 })
      .catch((e: { stdout: string; stderr: string }) => ({ ...e, failed: true }));
    expect(`${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/^\[info\] html generated at .*\n$/);
    expect(existsSync(path.join(out, 'index.html'))).toBe(true);
    const schemaPage = readFileSync(path.join(out, 'functions', 'rg-schema.schema.html'), 'utf8');
    expect(schemaPage).toContain('dj.schema');
  }, 120_000);
});

function checkerNames(program: ts.Program, entry: string): string[] {
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(path.resolve(entry))!);
  return checker.getExportsOfModule(module!).map((s) => s.name);
}
