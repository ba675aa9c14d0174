/**
 * JSON.parse for the DataJoint fixtures' canonical JSON, but numbers keep their text: a Python
 * float keeps its decimal point there (`3.0`) and an int has none, and ints beyond 2^53 stay exact.
 * `number` turns each number's text into whatever the caller compares with.
 *
 * @example
 * ```ts
 * parseKeepingNumbers('{"a": 3.0, "b": 3}', (text) => text); // { a: '3.0', b: '3' }
 * ```
 */
export function parseKeepingNumbers<N>(text: string, number: (text: string) => N): unknown {
  let i = 0;
  const ws = (): void => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return i++, out;
      for (;;) {
        ws();
        const key = value() as string;
        ws();
        i++; // :
        out[key] = value();
        ws();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        ws();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') {
      const start = i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      return JSON.parse(text.slice(start, ++i)) as string;
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`Not JSON at character ${i}: ${text.slice(i, i + 20)}`);
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : number(m[0]);
  };
  return value();
}
