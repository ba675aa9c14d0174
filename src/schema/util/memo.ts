/** The value cached under (first, second), made by `make` on the first ask. */
export function memoize2<K1 extends object, K2, V>(cache: WeakMap<K1, Map<K2, V>>, first: K1, second: K2, make: () => V): V {
  let inner = cache.get(first);
  if (!inner) {
    inner = new Map();
    cache.set(first, inner);
  }
  let value = inner.get(second);
  if (value === undefined) {
    value = make();
    inner.set(second, value);
  }
  return value;
}
