/**
 * The value a 4-byte `float` attribute holds for `value`, as every backend returns it: the nearest
 * float32, written as the shortest decimal that reads back as that float32 (at most 9 significant
 * digits), as a JS number. `0.1` stays `0.1` (not 0.10000000149011612), `16777217` becomes
 * `16777216`, `123456.789` becomes `123456.79`; ±0 is 0. MySQL and MariaDB store a float32 and
 * print it with 6 digits, SQLite stores a double: both are read back through this function.
 *
 * @example
 * ```ts
 * float32Value(0.1);          // 0.1
 * float32Value(1 / 3);        // 0.33333334
 * float32Value(3.4028235e38); // 3.4028235e38 (the largest float32)
 * ```
 */
export function float32Value(value: number): number {
  const f = Math.fround(value);
  if (f === 0 || !Number.isFinite(f)) return f === 0 ? 0 : f;
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return shorter;
  }
  return Number(f.toPrecision(9));
}

/**
 * Whether a column type is MySQL's 4-byte float (`float`, `float32`), not a double.
 *
 * @example
 * ```ts
 * isFloat32Column('float');   // true
 * isFloat32Column('double');  // false
 * ```
 */
export function isFloat32Column(mysqlType: string): boolean {
  return /^float\b/.test(mysqlType);
}
