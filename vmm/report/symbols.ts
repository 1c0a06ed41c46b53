/**
 * Guest eip → guest function, from the symbols the trace's trailer carries. The function is
 * the symbol with the greatest value ≤ eip that still covers it (value + size > eip).
 */
import type { TraceSymbol } from '../trace/format.js';

export const UNKNOWN_FUNCTION = '[unknown]';

export interface Resolved {
  /** The function's name, or `[unknown]` when no symbol covers the address. */
  name: string;
  /** eip − the symbol's value (0 when unknown). */
  offset: number;
}

export class SymbolResolver {
  private readonly syms: TraceSymbol[];
  private readonly cache = new Map<number, Resolved>();

  constructor(symbols: readonly TraceSymbol[]) {
    // Stable sort keeps file order among equal values; the lookup takes the last of those, because
    // a marker label such as `user_text_start:` is written just before the function it marks.
    this.syms = symbols.filter((s) => s.size > 0 && Number.isFinite(s.value)).slice().sort((a, b) => a.value - b.value);
  }

  resolve(eip: number): Resolved {
    let r = this.cache.get(eip);
    if (r === undefined) this.cache.set(eip, (r = this.lookup(eip)));
    return r;
  }

  private lookup(eip: number): Resolved {
    const s = this.syms;
    let lo = 0, hi = s.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].value <= eip) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // Nested or overlapping symbols: walk back to the nearest one that still covers eip.
    for (let k = best; k >= 0; k--) {
      if (s[k].value + s[k].size > eip) return { name: s[k].name, offset: eip - s[k].value };
    }
    return { name: UNKNOWN_FUNCTION, offset: 0 };
  }
}

export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
