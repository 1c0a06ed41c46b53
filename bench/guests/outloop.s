; Exit round-trip benchmark: COUNT `out` instructions to the null port (0x80), each one an io
; exit that the VMM dispatches to a device that does nothing.
.equ COUNT, 1000000

_start:
    mov ecx, COUNT
again:
    outb 0x80, eax
    dec ecx
    jne again
    mov eax, 0
    outd 0xf4, eax
