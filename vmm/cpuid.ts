/**
 * What cpuid tells the guest (docs/vmm.md). Leaf 0 names the vendor, leaf 1 the features the
 * vCPU has, and leaf 0x40000000 is the hypervisor leaf where paravirtual guests look for us.
 */
export const CPUID_HYPERVISOR_LEAF = 0x40000000;
export const CPUID_FEATURES = {
  PAGING: 1 << 0,
  VMCALL: 1 << 1,
  RDTSC: 1 << 4,
} as const;

function str4(s: string): number {
  let v = 0;
  for (let k = 0; k < 4; k++) v |= s.charCodeAt(k) << (8 * k);
  return v;
}

/** Fills eax, ebx, ecx, edx (indices 0, 3, 1, 2) for `leaf`. Unknown leaves read as zeros. */
export function answerCpuid(regs: Int32Array, leaf: number): void {
  let a = 0, b = 0, c = 0, d = 0;
  switch (leaf >>> 0) {
    case 0: // highest standard leaf, vendor "VamosMx86 VM" in ebx, edx, ecx order as on x86
      a = 1; b = str4('Vamo'); d = str4('sMx8'); c = str4('6 VM');
      break;
    case 1:
      a = 0x00000001; // family/model/stepping: 1.0.1
      d = CPUID_FEATURES.PAGING | CPUID_FEATURES.VMCALL | CPUID_FEATURES.RDTSC;
      break;
    case CPUID_HYPERVISOR_LEAF: // highest hypervisor leaf, signature "VAMOSVAMOSVM"
      a = CPUID_HYPERVISOR_LEAF; b = str4('VAMO'); c = str4('SVAM'); d = str4('OSVM');
      break;
  }
  regs[0] = a; regs[3] = b; regs[1] = c; regs[2] = d;
}
