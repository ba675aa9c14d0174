import { writeFile } from 'node:fs/promises';
import { RgSchemaError } from '../errors.js';
import type { Diagram } from './diagram.js';

/** Writes a diagram in the format its file name ends with: `.svg`, `.dot` or `.mmd`. */
export async function writeDiagram(diagram: Diagram, file: string): Promise<string> {
  const ext = file.toLowerCase().split('.').pop();
  let text: string;
  if (ext === 'svg') text = await diagram.toSvg();
  else if (ext === 'dot' || ext === 'gv') text = diagram.toDot();
  else if (ext === 'mmd') text = diagram.toMermaid();
  else throw new RgSchemaError(`Cannot tell the format of "${file}": name it .svg, .dot or .mmd.`);
  await writeFile(file, text);
  return text;
}
