import type { StateResponse } from '../api-types.js';
import { element } from './format.js';

function table(head: string[], body: Array<Array<Node | string>>, numeric: number[] = []): HTMLTableElement {
  return element('table', {},
    element('thead', {}, element('tr', {}, ...head.map((h) => element('th', {}, h)))),
    element('tbody', {}, ...body.map((cells) => element('tr', {}, ...cells.map((c, i) => element('td', numeric.includes(i) ? { class: 'n' } : {}, c))))));
}

/** Rows per table; per auto-populated table what populate has left and its jobs, errors with their messages. */
export function renderState(state: StateResponse): void {
  const root = document.getElementById('state')!;
  const rowsTable = table(['table', 'tier', 'rows'], state.tables.map((t) => [t.table, t.tier, t.rows.toLocaleString('en-US')]), [2]);
  rowsTable.id = 'state-tables';
  const populate = element('div', {},
    table(['populate', 'done', 'remaining', 'jobs'], state.populate.map((p) => {
      const jobs = Object.entries(p.jobs).map(([status, n]) => `${n} ${status}`).join(', ');
      return [p.table, `${(p.total - p.remaining).toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}`,
        p.remaining === 0 ? element('span', { class: 'ok' }, 'none') : p.remaining.toLocaleString('en-US'), jobs || 'no jobs'];
    }), [1, 2]));
  const jobRows = state.populate.flatMap((p) => p.job_rows.map((j) => ({ table: p.table, ...j })));
  if (jobRows.length > 0) {
    populate.append(table(['table', 'key', 'status', 'where, when', 'message'], jobRows.map((j) => [
      j.table, Object.values(j.key).join(' · '), j.status, `${j.host} pid ${j.pid}${j.time ? `, ${j.time}` : ''}`,
      element('span', { class: j.status === 'error' ? 'error' : '' }, j.error_message || '—'),
    ])));
  }
  populate.id = 'state-populate';
  root.replaceChildren(rowsTable, populate);
}
