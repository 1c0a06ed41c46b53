/**
 * The client side of RESP2 (the Redis serialization protocol): commands out as arrays of bulk
 * strings, replies in through an incremental parser that accepts a reply split anywhere.
 */

export type RespValue = string | number | null | Uint8Array | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return new Uint8Array(Buffer.concat(parts));
}

export class RespProtocolError extends Error {}

/**
 * Feed bytes with push(); take complete replies with next() (undefined while incomplete).
 * Simple strings come back as string, errors as RespError, integers as number, bulk strings as
 * Uint8Array (null for the nil bulk), arrays as arrays (null for the nil array).
 */
export class RespReader {
  private buf = Buffer.alloc(0);

  push(bytes: Uint8Array): void {
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
  }

  get pending(): number {
    return this.buf.length;
  }

  next(): RespValue | undefined {
    const r = this.parse(0);
    if (r === undefined) return undefined;
    this.buf = this.buf.subarray(r.end);
    return r.value;
  }

  private line(at: number): { text: string; end: number } | undefined {
    const cr = this.buf.indexOf('\r\n', at, 'latin1');
    if (cr < 0) return undefined;
    return { text: this.buf.toString('latin1', at, cr), end: cr + 2 };
  }

  private parse(at: number): { value: RespValue; end: number } | undefined {
    if (at >= this.buf.length) return undefined;
    const type = String.fromCharCode(this.buf[at]);
    const l = this.line(at + 1);
    if (l === undefined) return undefined;
    switch (type) {
      case '+': return { value: l.text, end: l.end };
      case '-': return { value: new RespError(l.text), end: l.end };
      case ':': return { value: this.integer(l.text), end: l.end };
      case '$': {
        const n = this.integer(l.text);
        if (n === -1) return { value: null, end: l.end };
        if (n < 0) throw new RespProtocolError(`bad bulk length ${l.text}`);
        if (l.end + n + 2 > this.buf.length) return undefined;
        if (this.buf[l.end + n] !== 13 || this.buf[l.end + n + 1] !== 10) throw new RespProtocolError('bulk string not followed by CRLF');
        return { value: new Uint8Array(this.buf.subarray(l.end, l.end + n)), end: l.end + n + 2 };
      }
      case '*': {
        const n = this.integer(l.text);
        if (n === -1) return { value: null, end: l.end };
        if (n < 0) throw new RespProtocolError(`bad array length ${l.text}`);
        const items: RespValue[] = [];
        let end = l.end;
        for (let i = 0; i < n; i++) {
          const r = this.parse(end);
          if (r === undefined) return undefined;
          items.push(r.value);
          end = r.end;
        }
        return { value: items, end };
      }
      default:
        throw new RespProtocolError(`unexpected reply type byte 0x${this.buf[at].toString(16)}`);
    }
  }

  private integer(text: string): number {
    if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad integer '${text}'`);
    return Number(text);
  }
}

/** A reply as text, for logs and checksums: one canonical rendering per value. */
export function renderReply(v: RespValue): string {
  if (v === null) return '(nil)';
  if (typeof v === 'string') return `+${v}`;
  if (typeof v === 'number') return `:${v}`;
  if (v instanceof RespError) return `-${v.message}`;
  if (v instanceof Uint8Array) return `$${Buffer.from(v).toString('latin1')}`;
  return `[${v.map(renderReply).join(',')}]`;
}
