import t from 'tap';
import fc from 'fast-check';
import { VirtualClock } from '../../vmm/clock.js';

t.test('events run in (time, insertion) order and cancelled ones never run', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(50), fc.boolean()), { maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }),
      (events, steps) => {
        const clock = new VirtualClock();
        const ran: [number, number][] = [];
        const ids = events.map(([at], seq) => clock.schedule(at, () => {
          if (at > clock.now) throw new Error('ran early');
          ran.push([at, seq]);
        }));
        const cancelled = new Set<number>();
        events.forEach(([, cancel], seq) => {
          if (cancel) {
            if (!clock.cancel(ids[seq]!)) throw new Error('cancel failed');
            cancelled.add(seq);
          }
        });
        let count = 0;
        for (const step of steps) {
          clock.advance(step);
          count += clock.runDue();
        }
        clock.advance(100);
        count += clock.runDue();
        const expected = events
          .map(([at], seq) => [at, seq] as [number, number])
          .filter(([, seq]) => !cancelled.has(seq))
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        return count === expected.length && JSON.stringify(ran) === JSON.stringify(expected) && clock.nextDeadline() === Infinity;
      },
    ),
  );
});

t.test('events scheduled by due events run in the same runDue when due', async (t) => {
  const clock = new VirtualClock();
  const log: string[] = [];
  clock.schedule(10, () => {
    log.push('a@10');
    clock.schedule(5, () => log.push('b@5'));
    clock.schedule(10, () => log.push('c@10'));
    clock.schedule(20, () => log.push('d@20'));
  });
  clock.schedule(12, () => log.push('e@12'));
  clock.advance(15);
  t.equal(clock.runDue(), 4);
  t.same(log, ['a@10', 'b@5', 'c@10', 'e@12']);
  t.equal(clock.nextDeadline(), 20);
  t.equal(clock.pending, 1);
});

t.test('nextDeadline skips cancelled events; cancel is idempotent', async (t) => {
  const clock = new VirtualClock();
  t.equal(clock.nextDeadline(), Infinity);
  const a = clock.schedule(5, () => {});
  clock.schedule(9, () => {});
  t.equal(clock.nextDeadline(), 5);
  t.equal(clock.cancel(a), true);
  t.equal(clock.cancel(a), false);
  t.equal(clock.nextDeadline(), 9);
  t.equal(clock.cancel(12345), false);
});

t.test('advance takes non-negative integers only', async (t) => {
  const clock = new VirtualClock();
  t.throws(() => clock.advance(-1));
  t.throws(() => clock.advance(1.5));
  clock.advance(7);
  t.equal(clock.now, 7);
});
