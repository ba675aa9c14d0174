/** Numbers for people: trailing zeros dropped, a fixed number of decimals at most. */
export function num(value: number, decimals = 3): string {
  return Number(value.toFixed(decimals)).toLocaleString('en-US', { maximumFractionDigits: decimals });
}

export function sec(value: number, decimals = 4): string {
  return `${num(value, decimals)} s`;
}

export function ms(value: number): string {
  return `${num(value, 1)} ms`;
}

/** "1 spike", "3 spikes". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** A signed value with its sign always shown, as deviations from a mean are read. */
export function signed(value: number, decimals = 3): string {
  return `${value >= 0 ? '+' : '−'}${num(Math.abs(value), decimals)}`;
}

/** Builds an element with text and attributes. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
