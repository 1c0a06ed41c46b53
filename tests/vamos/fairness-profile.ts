/**
 * The synthetic profile of the fairness tests (fairness.test.ts, fairness-iothread.test.ts):
 * every cost figure distinct and not round, so that a charge built from the wrong figure, or
 * from one figure twice, cannot come out right by accident.
 */
import { loadProfile, validateProfile, type CostProfile, type VirtioIo } from '../../vmm/profile.js';

export function fairnessProfile(virtioIo?: VirtioIo): CostProfile {
  return validateProfile({
    ...loadProfile('nehalem-2011'),
    name: 'fairness',
    cpuHz: 2_500_000_000,
    cyclesPerInstruction: 1.25,
    exitCycles: { io: 2111, mmio: 3222, hlt: 1999, vmcall: 2333, cpuid: 2444, 'external-interrupt': 2555, 'interrupt-window': 2666, preemption: 2777, shutdown: 0 },
    userspaceExitExtraCycles: 6007,
    portIoDeviceCycles: 511,
    mmioDeviceCycles: 1499,
    interruptInjectionCycles: 503,
    hypercallCycles: 307,
    indirectExitCycles: 41,
    disk: { latencyNsPerRequest: 7003, nsPerByte: 0.7 },
    ...(virtioIo === undefined ? {} : { virtioIo }),
  }, 'fairness');
}
