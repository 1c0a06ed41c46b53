; firmware/reset.s: the reset vector, the last 16 bytes of the ROM (0xFFFFFFF0). build.ts
; assembles it at that address with FW_START set to the linked address of _start (start.s),
; because the linked firmware's .text and .data cannot also reach the top of the window.
.text
reset:
        jmp FW_START
