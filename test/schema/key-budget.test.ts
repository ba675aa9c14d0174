import { describe, expect, it } from 'vitest';
import { IpcKeyBudget, LocalKeyBudget, type KeyBudgetGiveBack, type KeyBudgetTake } from '../../src/schema/populate/key-budget.js';

describe('the key budget that populate({ workers }) shares for limit and maxCalls', () => {
  it('grants what is left, never more, and takes back what was not made', async () => {
    const budget = new LocalKeyBudget(5);
    expect(await budget.take(3)).toBe(3);
    expect(await budget.take(3)).toBe(2);
    expect(await budget.take(1)).toBe(0);
    budget.giveBack(2);
    expect(budget.left).toBe(2);
    expect(budget.takeNow(10)).toBe(2);
    expect(budget.takeNow(-1)).toBe(0);
    budget.giveBack(-3);
    expect(budget.left).toBe(0);
  });

  it('a worker process asks its parent over IPC: each answer settles its own request', async () => {
    const parent = new LocalKeyBudget(4);
    const sent: Array<KeyBudgetTake | KeyBudgetGiveBack> = [];
    const worker = new IpcKeyBudget((m) => sent.push(m));
    const first = worker.take(3);
    const second = worker.take(3);
    const [a, b] = sent as [KeyBudgetTake, KeyBudgetTake];
    expect([a, b].map((m) => [m.kind, m.wanted])).toEqual([['take-keys', 3], ['take-keys', 3]]);
    // Answered in the other order.
    worker.granted({ kind: 'granted-keys', id: b.id, count: parent.takeNow(b.wanted) });
    worker.granted({ kind: 'granted-keys', id: a.id, count: parent.takeNow(a.wanted) });
    expect([await first, await second]).toEqual([1, 3]);
    worker.giveBack(0);
    worker.giveBack(2);
    expect(sent.slice(2)).toEqual([{ kind: 'give-back-keys', count: 2 }]);
  });
});
