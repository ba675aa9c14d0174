import type { FastifyError } from 'fastify';

interface AjvIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly parentSchema?: { description?: string; properties?: Record<string, unknown> };
}

function given(values: Record<string, unknown> | undefined, name: string): string {
  const value = values?.[name];
  if (value === undefined) return '';
  const text = Array.isArray(value) ? value.map(String).join('", "') : String(value);
  return `; got "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`;
}

/**
 * A sentence for a request that failed its route's schema: which parameter, what it must be (with
 * the column type it is checked against), and what was given.
 *
 * @example
 * ```ts
 * // GET /api/neurons?…&stimulation_index=-1
 * // 'stimulation_index must be at least 0 (stimulation_index is smallint unsigned); got "-1".'
 * ```
 */
export function validationMessage(error: FastifyError, query: Record<string, unknown> | undefined, params: Record<string, unknown> | undefined): string {
  const issue = (error.validation?.[0] ?? { keyword: '', instancePath: '', params: {} }) as AjvIssue;
  const where = error.validationContext === 'params' ? params : query;
  const name = issue.instancePath.replace(/^\//, '') || String(issue.params.missingProperty ?? issue.params.additionalProperty ?? '');
  const description = issue.parentSchema?.description;
  const typed = description ? ` (${description.replace(/^(\w+) \((.*)\)$/, '$1 is $2')})` : '';
  switch (issue.keyword) {
    case 'additionalProperties': {
      const accepted = Object.keys(issue.parentSchema?.properties ?? {});
      return `Unknown parameter "${name.slice(0, 60)}": ${accepted.length > 0 ? `this route takes ${accepted.join(', ')}` : 'this route takes no parameters'}.`;
    }
    case 'required':
      return `Missing parameter ${name}: this route needs it.`;
    case 'type':
      return `${name} must be ${issue.params.type === 'integer' ? 'a whole number' : `a ${String(issue.params.type)}`}${typed}${given(where, name)}.`;
    case 'minimum':
      return `${name} must be at least ${String(issue.params.limit)}${typed}${given(where, name)}.`;
    case 'maximum':
      return `${name} must be at most ${String(issue.params.limit)}${typed}${given(where, name)}.`;
    case 'minLength':
    case 'maxLength':
      return `${name} must be ${issue.keyword === 'minLength' ? 'at least' : 'at most'} ${String(issue.params.limit)} characters long${typed}${given(where, name)}.`;
    case 'pattern':
    case 'format':
      return name === 'session_date' ? `session_date must be a date written YYYY-MM-DD${given(where, name)}.` : `${name} is not well formed${typed}${given(where, name)}.`;
    default:
      return `Parameter ${name || '(unknown)'} is not valid: ${error.message}.`;
  }
}
