/**
 * The workload driver (docs/workload.md): YCSB-like clients that speak RESP to the guest's
 * database server over UDP, inside the VMM and on virtual time. The operation list is fixed by
 * the seed before anything runs, so both placements execute the same operations; clients take
 * the next operation when their previous reply is complete (closed loop, no think time).
 *
 * Phases: connect (PING every 10 virtual ms until the server answers), load (SET every record),
 * run (the measured operations), done. The caller hooks onPhase to snapshot exit counters.
 */
import { createHash } from 'node:crypto';
import { encodeCommand, renderReply, RespError, RespReader, type RespValue } from './resp.js';
import { Rng, UniformKeys, ZipfianKeys, type KeyChooser } from './random.js';

export type Mix = 'A' | 'B' | 'C';
export const UPDATE_FRACTION: Record<Mix, number> = { A: 0.5, B: 0.05, C: 0 };

export interface WorkloadSpec {
  mix: Mix;
  distribution: 'uniform' | 'zipfian';
  records: number;
  operations: number;
  concurrency: number;
  seed: number;
  /** Bytes per value (default 100). */
  valueSize?: number;
  /** The server's UDP port (default 6379). */
  serverPort?: number;
  /** Skip the load phase (the database already holds the records). */
  skipLoad?: boolean;
  /** Virtual nanoseconds a request may wait for its reply before the run fails (default 2 s). */
  timeoutNs?: number;
  /** An explicit operation list instead of the planned one (`operations` must be its length). */
  ops?: readonly Op[];
}

/** How the driver reaches the server and the clock: the VM's virtual host and virtual clock. */
export interface WorkloadTransport {
  readonly cpuHz: number;
  now(): number;
  schedule(at: number, fn: () => void): number;
  cancel(id: number): void;
  send(clientPort: number, payload: Uint8Array): void;
}

export type Phase = 'connect' | 'load' | 'run' | 'done' | 'failed';

export interface Op {
  kind: 'read' | 'update';
  key: string;
  value?: string;
}

export interface WorkloadResult {
  operations: number;
  reads: number;
  updates: number;
  errors: number;
  /** Virtual seconds of the run phase. */
  seconds: number;
  opsPerSecond: number;
  /** Latency percentiles of the run phase, virtual microseconds. */
  latencyUs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** SHA-256 of every run-phase reply in operation order. */
  checksum: string;
}

export const CLIENT_PORT_BASE = 40000;

export function keyName(record: number): string {
  return `user${String(record).padStart(10, '0')}`;
}

/** The value the load phase stores for a record (what a crash test expects to read back). */
export function loadValue(record: number, size = 100): string {
  return valueFor(`r${record}`, size);
}

function valueFor(tag: string, size: number): string {
  let v = tag;
  while (v.length < size) v += `.${tag}`;
  return v.slice(0, size);
}

/** The operations a spec stands for: a pure function of the spec. */
export function planOperations(spec: WorkloadSpec): Op[] {
  const rng = new Rng(spec.seed);
  const keys: KeyChooser = spec.distribution === 'zipfian' ? new ZipfianKeys(spec.records) : new UniformKeys(spec.records);
  const size = spec.valueSize ?? 100;
  const ops: Op[] = [];
  for (let i = 0; i < spec.operations; i++) {
    const update = rng.next() < UPDATE_FRACTION[spec.mix];
    const key = keyName(keys.next(rng));
    ops.push(update ? { kind: 'update', key, value: valueFor(`u${i}`, size) } : { kind: 'read', key });
  }
  return ops;
}

export function validateSpec(spec: WorkloadSpec): void {
  const whole = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`workload: ${name} must be a whole number in ${min}..${max}, got ${v}`);
  };
  if (!(spec.mix in UPDATE_FRACTION)) throw new Error(`workload: mix must be A, B or C, got ${spec.mix}`);
  if (spec.distribution !== 'uniform' && spec.distribution !== 'zipfian') throw new Error(`workload: distribution must be uniform or zipfian, got ${spec.distribution}`);
  whole('records', spec.records, 1, 10_000_000);
  whole('operations', spec.operations, 0, 100_000_000);
  whole('concurrency', spec.concurrency, 1, 1000);
  whole('seed', spec.seed, 0, 0xffffffff);
  whole('valueSize', spec.valueSize ?? 100, 1, 1000);
}

export class WorkloadDriver {
  phase: Phase = 'connect';
  failure: string | undefined;
  onPhase: ((p: Phase) => void) | undefined;
  /** A load-phase SET was acknowledged (+OK): record `record` is durable from now on. */
  onLoadAck: ((record: number) => void) | undefined;
  /** Every run-phase reply, with its operation's index. */
  onRunReply: ((op: number, reply: RespValue) => void) | undefined;
  private readonly ops: Op[];
  private readonly readers = new Map<number, RespReader>();
  private readonly inFlight = new Map<number, { op: number; sentCycle: number; timer: number }>();
  private readonly replies: string[] = [];
  private readonly latencies: number[] = [];
  private nextOp = 0;
  private done = 0;
  private errors = 0;
  private runStart = 0;
  private runEnd = 0;
  private loadNext = 0;
  private loadDone = 0;
  private readonly serverPort: number;
  private readonly timeoutCycles: number;

  constructor(private readonly spec: WorkloadSpec, private readonly net: WorkloadTransport) {
    validateSpec(spec);
    if (spec.ops !== undefined && spec.ops.length !== spec.operations) throw new Error(`workload: ${spec.ops.length} explicit operations but operations = ${spec.operations}`);
    this.ops = spec.ops !== undefined ? [...spec.ops] : planOperations(spec);
    this.serverPort = spec.serverPort ?? 6379;
    this.timeoutCycles = Math.round(((spec.timeoutNs ?? 2e9) * net.cpuHz) / 1e9);
    for (let c = 0; c < spec.concurrency; c++) this.readers.set(CLIENT_PORT_BASE + c, new RespReader());
  }

  /** Begins the connect phase; replies come in through receive(). */
  start(): void {
    this.ping();
  }

  /** A datagram from the server to one of the client ports. */
  receive(fromPort: number, clientPort: number, payload: Uint8Array): void {
    const reader = this.readers.get(clientPort);
    if (fromPort !== this.serverPort || reader === undefined || this.phase === 'done' || this.phase === 'failed') return;
    reader.push(payload);
    let reply: RespValue | undefined;
    try {
      while ((reply = reader.next()) !== undefined) this.onReply(clientPort, reply);
    } catch (e) {
      this.fail(`client ${clientPort}: ${(e as Error).message}`);
    }
  }

  result(): WorkloadResult {
    const secs = (this.runEnd - this.runStart) / this.net.cpuHz;
    const lat = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number => (lat.length === 0 ? 0 : lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]);
    const h = createHash('sha256');
    for (const r of this.replies) h.update(r).update('\n');
    const reads = this.ops.filter((o) => o.kind === 'read').length;
    return {
      operations: this.ops.length, reads, updates: this.ops.length - reads, errors: this.errors,
      seconds: secs, opsPerSecond: secs > 0 ? this.ops.length / secs : 0,
      latencyUs: { p50: pct(50), p95: pct(95), p99: pct(99), max: lat.at(-1) ?? 0, mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0 },
      checksum: h.digest('hex'),
    };
  }

  private setPhase(p: Phase): void {
    this.phase = p;
    this.onPhase?.(p);
  }

  private fail(why: string): void {
    if (this.phase === 'failed') return;
    this.failure = why;
    this.setPhase('failed');
  }

  private ping(): void {
    if (this.phase !== 'connect') return;
    this.net.send(CLIENT_PORT_BASE, encodeCommand(['PING']));
    this.net.schedule(this.net.now() + Math.round(this.net.cpuHz / 100), () => this.ping());
  }

  private onReply(client: number, reply: RespValue): void {
    if (this.phase === 'connect') {
      if (reply === 'PONG') this.beginLoad();
      return;
    }
    const pending = this.inFlight.get(client);
    if (pending === undefined) return; // a late PONG from the connect phase
    this.inFlight.delete(client);
    this.net.cancel(pending.timer);
    if (reply instanceof RespError) this.errors++;
    if (this.phase === 'load') {
      if (reply instanceof RespError) this.fail(`load: ${reply.message}`);
      else if (reply === 'OK') this.onLoadAck?.(pending.op);
      this.loadDone++;
      if (this.loadDone === this.spec.records) this.beginRun();
      else this.issueLoad(client);
      return;
    }
    this.replies[pending.op] = renderReply(reply);
    this.onRunReply?.(pending.op, reply);
    this.latencies.push(((this.net.now() - pending.sentCycle) * 1e6) / this.net.cpuHz);
    this.done++;
    if (this.done === this.ops.length) {
      this.runEnd = this.net.now();
      this.setPhase('done');
      return;
    }
    this.issueRun(client);
  }

  private beginLoad(): void {
    if (this.spec.skipLoad) {
      this.beginRun();
      return;
    }
    this.setPhase('load');
    for (const c of this.readers.keys()) this.issueLoad(c);
  }

  private issueLoad(client: number): void {
    if (this.loadNext >= this.spec.records) return;
    const r = this.loadNext++;
    this.send(client, r, encodeCommand(['SET', keyName(r), loadValue(r, this.spec.valueSize ?? 100)]));
  }

  private beginRun(): void {
    this.setPhase('run');
    this.runStart = this.net.now();
    if (this.ops.length === 0) {
      this.runEnd = this.runStart;
      this.setPhase('done');
      return;
    }
    for (const c of this.readers.keys()) this.issueRun(c);
  }

  private issueRun(client: number): void {
    if (this.nextOp >= this.ops.length) return;
    const i = this.nextOp++;
    const op = this.ops[i];
    this.send(client, i, encodeCommand(op.kind === 'read' ? ['GET', op.key] : ['SET', op.key, op.value!]));
  }

  private send(client: number, op: number, bytes: Uint8Array): void {
    const sentCycle = this.net.now();
    const phase = this.phase;
    const timer = this.net.schedule(sentCycle + this.timeoutCycles, () => {
      this.fail(`${phase}: no reply to operation ${op} on client port ${client} within ${(this.spec.timeoutNs ?? 2e9) / 1e6} virtual ms`);
    });
    this.inFlight.set(client, { op, sentCycle, timer });
    this.net.send(client, bytes);
  }
}
