/**
 * Runtime routines for what mx86 has no instruction for (64-bit multiply, divide, shift and
 * compare; big block copies). Each unit gets its own static copy of the ones it uses, so a unit
 * needs nothing from the libc. All preserve every register but eax and edx (the result).
 * Binary ones take a (pushed first, hi then lo) and b below it: [esp+4] b.lo, [esp+8] b.hi,
 * [esp+12] a.lo, [esp+16] a.hi; shifts take the count as b: [esp+4] n, [esp+8] a.lo, [esp+12] a.hi.
 */

function divmod(signed: boolean, rem: boolean): string[] {
  const s: string[] = [
    'push ecx', 'push ebx', 'push esi', 'push edi',
    'mov eax, [esp + 28]', 'mov edx, [esp + 32]', 'mov esi, [esp + 20]', 'mov edi, [esp + 24]',
  ];
  if (signed) {
    s.push(
      'mov ebx, 0',
      'test edx, edx', 'jns .apos',
      'neg eax', 'adc edx, 0', 'neg edx', 'xor ebx, 3',
      '.apos:',
      'test edi, edi', 'jns .bpos',
      'neg esi', 'adc edi, 0', 'neg edi', 'xor ebx, 1',
      '.bpos:',
      'push ebx',
    );
  }
  s.push(
    'push edi', 'push esi',
    'mov ebx, esi', 'or ebx, edi', 'jne .nonzero',
    'mov ebx, 0', 'div ebx', // divide by zero: #DE, as the 32-bit division does
    '.nonzero:',
    'mov esi, 0', 'mov edi, 0', 'mov ecx, 64',
    '.loop:',
    'add eax, eax', 'adc edx, edx', 'adc esi, esi', 'adc edi, edi',
    'jb .sub',
    'cmp edi, [esp + 4]', 'ja .sub', 'jb .next',
    'cmp esi, [esp]', 'jb .next',
    '.sub:',
    'sub esi, [esp]', 'sbb edi, [esp + 4]', 'or eax, 1',
    '.next:',
    'dec ecx', 'jne .loop',
    'add esp, 8',
  );
  if (rem) s.push('mov eax, esi', 'mov edx, edi');
  if (signed) {
    s.push('pop ebx', `test ebx, ${rem ? 2 : 1}`, 'je .done', 'neg eax', 'adc edx, 0', 'neg edx', '.done:');
  }
  s.push('pop edi', 'pop esi', 'pop ebx', 'pop ecx', 'ret');
  return s;
}

function shift(kind: 'shl' | 'shr' | 'sar'): string[] {
  const big = kind === 'shl'
    ? ['mov edx, eax', 'mov eax, 0', 'sub ecx, 32', 'shl edx, ecx']
    : kind === 'shr'
      ? ['mov eax, edx', 'mov edx, 0', 'sub ecx, 32', 'shr eax, ecx']
      : ['mov eax, edx', 'sar edx, 31', 'sub ecx, 32', 'sar eax, ecx'];
  const small = kind === 'shl'
    ? ['mov ebx, eax', 'shl edx, ecx', 'shl eax, ecx', 'neg ecx', 'add ecx, 32', 'shr ebx, ecx', 'or edx, ebx']
    : ['mov ebx, edx', `shr eax, ecx`, `${kind} edx, ecx`, 'neg ecx', 'add ecx, 32', 'shl ebx, ecx', 'or eax, ebx'];
  return [
    'push ecx', 'push ebx',
    'mov ecx, [esp + 12]', 'mov eax, [esp + 16]', 'mov edx, [esp + 20]',
    'and ecx, 63', 'cmp ecx, 32', 'jb .small',
    ...big, 'jmp .done',
    '.small:', 'test ecx, ecx', 'je .done',
    ...small,
    '.done:', 'pop ebx', 'pop ecx', 'ret',
  ];
}

function compare(signed: boolean): string[] {
  return [
    'mov eax, [esp + 16]', 'cmp eax, [esp + 8]', `j${signed ? 'l' : 'b'} .lt`, `j${signed ? 'g' : 'a'} .gt`,
    'mov eax, [esp + 12]', 'cmp eax, [esp + 4]', 'jb .lt', 'ja .gt',
    'mov eax, 0', 'ret',
    '.lt:', 'mov eax, -1', 'ret',
    '.gt:', 'mov eax, 1', 'ret',
  ];
}

const ROUTINES: Record<string, () => string[]> = {
  mul64: () => [
    'push ecx', 'push ebx',
    'mov eax, [esp + 20]', 'mov ecx, [esp + 16]', 'imul ecx, eax',
    'mov ebx, [esp + 24]', 'imul ebx, [esp + 12]', 'add ecx, ebx',
    'mov ebx, [esp + 12]', 'mul ebx', 'add edx, ecx',
    'pop ebx', 'pop ecx', 'ret',
  ],
  udiv64: () => divmod(false, false),
  umod64: () => divmod(false, true),
  sdiv64: () => divmod(true, false),
  smod64: () => divmod(true, true),
  shl64: () => shift('shl'),
  shr64: () => shift('shr'),
  sar64: () => shift('sar'),
  scmp64: () => compare(true),
  ucmp64: () => compare(false),
  // copy(dst, src, n) and zero(dst, n): dwords, then the odd bytes.
  copy: () => [
    'push ecx', 'push ebx', 'push esi',
    'mov ebx, [esp + 16]', 'mov esi, [esp + 20]', 'mov ecx, [esp + 24]',
    '.words:', 'cmp ecx, 4', 'jb .bytes',
    'mov eax, [esi]', 'mov [ebx], eax', 'add esi, 4', 'add ebx, 4', 'sub ecx, 4', 'jmp .words',
    '.bytes:', 'test ecx, ecx', 'je .done',
    'movzxb eax, [esi]', 'movb [ebx], eax', 'inc esi', 'inc ebx', 'dec ecx', 'jmp .bytes',
    '.done:', 'pop esi', 'pop ebx', 'pop ecx', 'ret',
  ],
  zero: () => [
    'push ecx', 'push ebx',
    'mov ebx, [esp + 12]', 'mov ecx, [esp + 16]',
    '.words:', 'cmp ecx, 4', 'jb .bytes',
    'mov [ebx], 0', 'add ebx, 4', 'sub ecx, 4', 'jmp .words',
    '.bytes:', 'test ecx, ecx', 'je .done',
    'movb [ebx], 0', 'inc ebx', 'dec ecx', 'jmp .bytes',
    '.done:', 'pop ebx', 'pop ecx', 'ret',
  ],
};

export function runtimeAsm(names: Iterable<string>, prefix: string): string[] {
  const out: string[] = [];
  for (const n of [...names].sort()) {
    const body = ROUTINES[n];
    if (!body) continue;
    out.push(`${prefix}rt_${n}:`);
    for (const line of body()) out.push(line.endsWith(':') ? line : `        ${line}`);
  }
  return out;
}
