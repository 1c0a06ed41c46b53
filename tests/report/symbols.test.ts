/** eip → guest function, against the definition written out by brute force. */
import t from 'tap';
import fc from 'fast-check';
import { SymbolResolver, UNKNOWN_FUNCTION } from '../../vmm/report/symbols.js';
import type { TraceSymbol } from '../../vmm/trace/format.js';

/** The greatest value ≤ eip whose value + size > eip; among equal values the later one. */
function bruteForce(symbols: TraceSymbol[], eip: number): string {
  let best: TraceSymbol | undefined;
  for (const s of symbols) {
    if (s.size > 0 && s.value <= eip && s.value + s.size > eip && (best === undefined || s.value >= best.value)) best = s;
  }
  return best?.name ?? UNKNOWN_FUNCTION;
}

t.test('matches the definition on random symbol tables', async (t) => {
  const sym = fc.record({ name: fc.string({ minLength: 1, maxLength: 4 }), value: fc.nat(200), size: fc.nat(40) });
  fc.assert(fc.property(fc.array(sym, { maxLength: 20 }), fc.array(fc.nat(260), { minLength: 1, maxLength: 30 }), (symbols, eips) => {
    const named = symbols.map((s, k) => ({ ...s, name: `${s.name}#${k}` }));
    const r = new SymbolResolver(named);
    for (const eip of eips) {
      const got = r.resolve(eip);
      if (got.name !== bruteForce(named, eip)) return false;
      const s = named.find((x) => x.name === got.name);
      if (s && got.offset !== eip - s.value) return false;
    }
    return true;
  }), { numRuns: 500 });
  t.pass('500 random tables');
});

t.test('examples', async (t) => {
  const r = new SymbolResolver([
    { name: 'text_start', value: 0x1000, size: 0x40 },
    { name: 'main', value: 0x1000, size: 0x40 },
    { name: 'helper', value: 0x1040, size: 0x10 },
    { name: 'empty', value: 0x1050, size: 0 },
    { name: 'outer', value: 0x2000, size: 0x100 },
    { name: 'inner', value: 0x2010, size: 0x10 },
  ]);
  t.same(r.resolve(0x1000), { name: 'main', offset: 0 }, 'a marker label gives way to the function defined after it');
  t.same(r.resolve(0x104f), { name: 'helper', offset: 0xf });
  t.same(r.resolve(0x1050), { name: UNKNOWN_FUNCTION, offset: 0 }, 'past the end, and a zero-size symbol covers nothing');
  t.same(r.resolve(0x2018), { name: 'inner', offset: 8 });
  t.same(r.resolve(0x2020), { name: 'outer', offset: 0x20 }, 'back to the enclosing symbol after a nested one');
  t.same(r.resolve(0xfff), { name: UNKNOWN_FUNCTION, offset: 0 });
});
