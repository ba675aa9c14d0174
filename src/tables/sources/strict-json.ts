import { DataSourceError } from '../../errors.js';

/** Line and column (1-based) of a character offset. */
export function lineOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * JSON.parse, stricter: a key given twice in one object is an error (JSON.parse keeps the last one
 * silently), a byte-order mark is skipped, and errors name the line and column.
 *
 * @example
 * ```ts
 * parseStrictJson('{"fps": 60, "fps": 30}', 'manifest.json');
 * // DataSourceError: manifest.json line 1, column 13: the key "fps" appears twice in one object.
 * ```
 */
export function parseStrictJson(raw: string, where: string): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const message = (cause as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const at = position === undefined ? '' : (() => { const p = lineOf(text, Number(position)); return ` line ${p.line}, column ${p.column}`; })();
    throw new DataSourceError(`${where}${at}: not valid JSON (${message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'it ends too early')}).`, { source: where, cause });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const p = lineOf(text, duplicate.offset);
    throw new DataSourceError(`${where} line ${p.line}, column ${p.column}: the key "${duplicate.key}" appears twice in one object; JSON readers disagree on which one wins, so it is refused.`, { source: where, field: duplicate.key });
  }
  return value;
}

/** Scans valid JSON text for an object with the same key twice; strings and numbers are skipped fast. */
function findDuplicateKey(text: string): { key: string; offset: number } | undefined {
  const stack: Array<Set<string> | undefined> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      i = end;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, end + 1)) as string;
        if (keys.has(key)) return { key, offset: start };
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(undefined);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] !== undefined;
    }
  }
  return undefined;
}

function isEscaped(text: string, quote: number): boolean {
  let slashes = 0;
  for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j--) slashes++;
  return slashes % 2 === 1;
}
