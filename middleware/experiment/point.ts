/**
 * One point of the VAMOS experiment (docs/paper.md): boot the guest OS with the database
 * server in one placement, drive a workload at it from inside the VMM on virtual time, and
 * measure throughput, latency and the exits each operation cost, by reason. Deterministic: the
 * same configuration gives the same numbers, bit for bit.
 */
import { MemoryBackend, type BlockBackend } from '../../devices/virtio/blk/backend.js';
import { VirtualHost } from '../../devices/virtio/net/virtual-host.js';
import type { ExitReason } from '../../vmm/exits.js';
import type { CostProfile } from '../../vmm/profile.js';
import type { ExitStats } from '../../vmm/stats.js';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import type { Placement, Transport } from '../build.js';
import { dbMachine, SERVER_PORT, type DbMachine, type IommuMode } from '../db-machine.js';
import { encodeCommand, type RespValue } from '../workload/resp.js';
import { WorkloadDriver, CLIENT_PORT_BASE, type WorkloadResult, type WorkloadSpec } from '../workload/driver.js';

export type { IommuMode } from '../db-machine.js';

export interface PointConfig {
  placement: Placement;
  /** How the VAMOS stub reaches the engine (default 'vmcall'); the baseline has no stub. */
  transport?: Transport;
  /** Host threads behind the module channel (default 1). */
  hostThreads?: number;
  iommu: IommuMode;
  profile: CostProfile;
  /** The engine's buffer pool, 4 KiB pages. */
  poolPages: number;
  workload: WorkloadSpec;
  /** The database volume in 512-byte sectors (default 64 MiB). */
  volumeSectors?: number;
  /** An existing volume to open (a restart on the same data, a host file); default: a fresh zeroed one. */
  volume?: BlockBackend;
  /** Hooks into the driver: durable load-phase SETs, run-phase replies. */
  onLoadAck?: (record: number) => void;
  onRunReply?: (op: number, reply: RespValue) => void;
  /** Record the run's exits here (a trace file for `vamos report`); ring: keep the last N. */
  trace?: { path: string; ring?: number; label?: string };
  /** Guest instructions before the run is declared stuck (default 5e9). */
  maxInstructions?: number;
}

export interface ExitRow {
  reason: ExitReason;
  device: string;
  count: number;
  perOp: number;
}

export interface PointResult {
  config: { placement: Placement; transport: Transport | 'none'; iommu: IommuMode; profile: string; poolPages: number; records: number; operations: number; mix: string; distribution: string; concurrency: number; seed: number };
  workload: WorkloadResult;
  /** Run-phase exits per operation, in all and by reason and device. */
  exitsPerOp: number;
  exits: ExitRow[];
  /** Virtual cycles of exit handling per operation (the exits' charged cost). */
  exitCyclesPerOp: number;
  guestInstructionsPerOp: number;
  hypercallsPerOp: number;
  /** The database volume's traffic in the run phase, per operation (the same engine in both placements). */
  volume: { pageReadsPerOp: number; pageWritesPerOp: number; flushesPerOp: number };
  /** Virtual cycles at the start and end of the run phase (a trace's window). */
  runWindow: [number, number];
  /**
   * The module channel over the whole run (transport 'virtio'): operations, the most the device
   * held at once, notifications and interrupts, and the host threads' busy and queueing cycles.
   */
  channel?: { calls: number; maxInFlight: number; notifications: number; interrupts: number; interruptsSuppressed: number; hostBusyCycles: number; hostQueuedCycles: number };
  console: string;
  stop: string;
}

interface VolumeCounters {
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
}

interface Snapshot {
  rows: Map<string, { reason: ExitReason; device: string; count: number; cycles: number }>;
  instructions: number;
  volume: VolumeCounters;
  at: number;
}

function snapshot(stats: ExitStats, instructions: number, volume: VolumeCounters): Snapshot {
  const rows = new Map<string, { reason: ExitReason; device: string; count: number; cycles: number }>();
  for (const r of stats.allRows()) rows.set(`${r.reason}\0${r.device}`, { reason: r.reason, device: r.device, count: r.count, cycles: r.totalCycles });
  return { rows, instructions, volume: { ...volume }, at: 0 };
}

function channelStats(vm: DbMachine['machine']['vm'], ch: NonNullable<DbMachine['channel']>): NonNullable<PointResult['channel']> {
  const t = vm.slots.find((s) => s.device === ch)!.transport.stats;
  return {
    calls: ch.stats.calls, maxInFlight: ch.stats.maxInFlight, notifications: t.notifications, interrupts: t.usedInterrupts,
    interruptsSuppressed: t.interruptsSuppressed, hostBusyCycles: ch.threads.stats.busyCycles, hostQueuedCycles: ch.threads.stats.queuedCycles,
  };
}

export function runPoint(cfg: PointConfig): PointResult {
  const host = new VirtualHost();
  const sectors = cfg.volumeSectors ?? (64 << 20) / 512;
  const volume = cfg.volume ?? new MemoryBackend(sectors);
  const trace = cfg.trace ? new TraceRecorder(cfg.trace.path, { ring: cfg.trace.ring, label: cfg.trace.label }) : undefined;
  const db = dbMachine({
    placement: cfg.placement, engineTransport: cfg.transport, hostThreads: cfg.hostThreads, iommu: cfg.iommu, profile: cfg.profile, poolPages: cfg.poolPages,
    clients: cfg.workload.concurrency, volume, net: host.guestSide, transport: 'udp', trace,
    maxInstructions: cfg.maxInstructions ?? 5_000_000_000,
  });
  const { machine, volumeCounters } = db;
  const vm = machine.vm;
  const driver = new WorkloadDriver({ ...cfg.workload, serverPort: SERVER_PORT }, {
    cpuHz: cfg.profile.cpuHz,
    now: () => vm.clock.now,
    schedule: (at, fn) => vm.clock.schedule(at, fn),
    cancel: (id) => { vm.clock.cancel(id); },
    send: (port, payload) => host.send(port, SERVER_PORT, payload),
  });
  host.onDatagram = (from, to, payload) => driver.receive(from, to, payload);
  driver.onLoadAck = cfg.onLoadAck;
  driver.onRunReply = cfg.onRunReply;
  let before: Snapshot | undefined, after: Snapshot | undefined;
  driver.onPhase = (p) => {
    if (p === 'run') before = { ...snapshot(vm.stats, vm.cpu.retired, volumeCounters()), at: vm.clock.now };
    if (p === 'done' || p === 'failed') {
      after = { ...snapshot(vm.stats, vm.cpu.retired, volumeCounters()), at: vm.clock.now };
      host.send(CLIENT_PORT_BASE, SERVER_PORT, encodeCommand(['SHUTDOWN']));
    }
  };
  driver.start();
  const r = machine.run();
  trace?.close({
    profile: cfg.profile.name, cpuHz: cfg.profile.cpuHz, stop: r.message,
    symbols: db.symbols(),
  });
  if (driver.phase !== 'done') {
    const tail = r.console.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${cfg.placement}${cfg.placement === 'vamos' ? `-${cfg.transport ?? 'vmcall'}` : ''}/${cfg.iommu}: the workload did not finish (${driver.failure ?? `phase ${driver.phase}`}; VM: ${r.message}; console: ${tail})`);
  }
  const ops = cfg.workload.operations;
  const exits: ExitRow[] = [];
  let total = 0, cycles = 0;
  for (const [k, a] of after!.rows) {
    const b = before!.rows.get(k);
    const count = a.count - (b?.count ?? 0);
    if (count === 0) continue;
    total += count;
    cycles += a.cycles - (b?.cycles ?? 0);
    exits.push({ reason: a.reason, device: a.device, count, perOp: count / ops });
  }
  exits.sort((x, y) => y.count - x.count);
  const hypercalls = exits.filter((e) => e.reason === 'vmcall').reduce((s, e) => s + e.count, 0);
  const w = cfg.workload;
  const result: PointResult = {
    config: { placement: cfg.placement, transport: cfg.placement === 'guest' ? 'none' : cfg.transport ?? 'vmcall', iommu: cfg.iommu, profile: cfg.profile.name, poolPages: cfg.poolPages, records: w.records, operations: ops, mix: w.mix, distribution: w.distribution, concurrency: w.concurrency, seed: w.seed },
    workload: driver.result(),
    exitsPerOp: total / ops,
    exits,
    exitCyclesPerOp: cycles / ops,
    guestInstructionsPerOp: (after!.instructions - before!.instructions) / ops,
    hypercallsPerOp: hypercalls / ops,
    volume: {
      pageReadsPerOp: (after!.volume.bytesRead - before!.volume.bytesRead) / 4096 / ops,
      pageWritesPerOp: (after!.volume.bytesWritten - before!.volume.bytesWritten) / 4096 / ops,
      flushesPerOp: (after!.volume.flushes - before!.volume.flushes) / ops,
    },
    runWindow: [before!.at, after!.at],
    ...(db.channel ? { channel: channelStats(vm, db.channel) } : {}),
    console: r.console,
    stop: r.message,
  };
  db.release(); // the result holds no reference into the guest
  return result;
}
