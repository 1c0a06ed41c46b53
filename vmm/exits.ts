/**
 * The exit contract between the vCPU and the VMM (design brief §3). `vcpu.run(budget)` returns
 * one of these records, the way KVM_RUN fills `struct kvm_run`. The VMM dispatches on `reason`.
 */
export type ExitReason =
  | 'io'
  | 'mmio'
  | 'hlt'
  | 'vmcall'
  | 'cpuid'
  | 'external-interrupt'
  | 'interrupt-window'
  | 'preemption'
  | 'shutdown';

export const EXIT_REASONS: readonly ExitReason[] = [
  'io', 'mmio', 'hlt', 'vmcall', 'cpuid',
  'external-interrupt', 'interrupt-window', 'preemption', 'shutdown',
];

export type AccessSize = 1 | 2 | 4;

export type VmExit =
  /** in/out at ring 0. For `in` the VMM answers with `vcpu.completeIo(value)` before re-entry. */
  | { reason: 'io'; port: number; size: AccessSize; write: boolean; value: number }
  /** A guest-physical access that hit no RAM (an EPT violation). Reads are answered like io. */
  | { reason: 'mmio'; address: number; size: AccessSize; write: boolean; value: number }
  | { reason: 'hlt' }
  /** vmcall; the registers are read and written on the vCPU itself. `cpl` lets the VMM refuse ring 3. */
  | { reason: 'vmcall'; cpl: number }
  | { reason: 'cpuid'; leaf: number }
  | { reason: 'external-interrupt' }
  | { reason: 'interrupt-window' }
  | { reason: 'preemption' }
  | { reason: 'shutdown'; cause: string };
