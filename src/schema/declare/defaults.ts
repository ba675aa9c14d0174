import { DefinitionError, type DefinitionLocation } from '../../errors.js';
import type { DefaultValue } from '../definition/heading.js';
import type { AttributeType } from '../definition/types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const TIME = /^-?\d{1,3}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Checks a default against its type. Quoting is left to each dialect's DDL. */
export function validateDefault(where: DefinitionLocation, type: AttributeType, written: string): DefaultValue {
  const upper = written.toUpperCase();
  if (upper === 'NULL') return { kind: 'null' };
  const fail = (problem: string, fix: string): never => {
    throw new DefinitionError(where, `Invalid default ${written}: ${problem}`, fix);
  };
  if (type.category === 'blob' || type.category === 'bytes') {
    fail('a blob can only default to NULL.', 'write `= NULL`, or leave the default out.');
  }
  if (upper === 'CURRENT_TIMESTAMP' || upper === 'CURRENT_TIMESTAMP()') {
    if (type.category !== 'timestamp' && type.category !== 'datetime') {
      fail('CURRENT_TIMESTAMP only applies to timestamp and datetime attributes.', 'declare the attribute as timestamp, or give a literal default.');
    }
    return { kind: 'now' };
  }
  const quoted = /^(["'])(.*)\1$/s.exec(written);
  // Between its quotes a default is literal, a doubled quote standing for one (as in SQL).
  const value = quoted ? (quoted[2] ?? '').split(quoted[1]! + quoted[1]!).join(quoted[1]!) : written;
  if (!quoted && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    fail('text defaults must be quoted.', `write = "${written}" (or a number, NULL or CURRENT_TIMESTAMP).`);
  }
  switch (type.category) {
    case 'integer':
      if (!/^[-+]?\d+$/.test(value)) fail('it is not an integer.', 'give a whole number.');
      if (type.unsigned && value.startsWith('-')) fail('the attribute is unsigned.', 'give a value of 0 or more.');
      break;
    case 'float':
    case 'decimal':
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) fail('it is not a number.', 'give a number such as 0 or 1.5.');
      break;
    case 'bool':
      if (!/^(0|1|true|false)$/i.test(value)) fail('it is not a boolean.', 'give 0, 1, true or false.');
      return { kind: 'number', text: /^(1|true)$/i.test(value) ? '1' : '0' };
    case 'string':
      if (type.length !== undefined && value.length > type.length) fail(`it is longer than ${type.length} characters.`, 'shorten the default or widen the type.');
      break;
    case 'enum':
      if (!type.enumValues?.includes(value)) fail(`it is not one of ${type.enumValues?.map((v) => `'${v}'`).join(', ')}.`, 'use one of the enum values.');
      break;
    case 'date':
      if (!DATE.test(value)) fail('it is not a date.', 'write it as "YYYY-MM-DD".');
      break;
    case 'datetime':
    case 'timestamp':
      if (!DATETIME.test(value)) fail('it is not a date and time.', 'write it as "YYYY-MM-DD HH:MM:SS" or CURRENT_TIMESTAMP.');
      break;
    case 'time':
      if (!TIME.test(value)) fail('it is not a time.', 'write it as "HH:MM:SS".');
      break;
    case 'uuid':
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value)) fail('it is not a UUID.', 'write a UUID such as "00000000-0000-0000-0000-000000000000".');
      break;
    case 'json':
      try {
        JSON.parse(value);
      } catch {
        fail('it is not valid JSON.', 'quote a JSON document, e.g. = \'{}\'.');
      }
      break;
    default:
      break;
  }
  if (type.category === 'integer' || type.category === 'float' || type.category === 'decimal') return { kind: 'number', text: value };
  return { kind: 'string', text: value };
}
