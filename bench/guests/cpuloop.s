; CPU-bound guest loop for the interpreter benchmark: a mix of loads, stores, ALU work and
; branches over a 4 KiB table (a byte-wise hash, then a sum of words), repeated ROUNDS times.
; Powers off with the checksum's low byte so a wrong result is visible.
.equ ROUNDS, 2000
.equ WORDS, 1024

_start:
    mov esp, 0x90000
    mov ebp, ROUNDS
    xor eax, eax
round:
    mov esi, table
    mov ecx, WORDS
fill:
    lea edx, [eax + ecx*4 + 0x9e3779b9]
    xor edx, ebp
    mov [esi], edx
    add esi, 4
    dec ecx
    jne fill
    mov esi, table
    mov ecx, WORDS
sum:
    mov edx, [esi + ecx*4 - 4]
    add eax, edx
    rol eax, 5
    movzxb edx, [esi + ecx]
    xor eax, edx
    dec ecx
    jne sum
    dec ebp
    jne round
    and eax, 0xff
    outd 0xf4, eax

.bss
table:
    .space WORDS * 4 + 4
