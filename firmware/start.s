; firmware/start.s: the boot ROM's entry and its few instructions C cannot express
; (docs/firmware.md). Linked first, at 0xFFFF0000; the reset vector (reset.s, placed at
; 0xFFFFFFF0 by firmware/build.ts) jumps here. The vCPU is at ring 0, paging off, IF=0.
;
; Direct boot (the VMM loaded a kernel and wrote the boot-information block) never reaches C:
; it is the same three instructions as the old assembly ROM. Otherwise .bss is zeroed and
; fw_main (main.c) boots from disk. Names are FW_*/fw_*: every object shares one namespace.

.equ FW_BOOT_INFO,      0x7000          ; platform.h BOOT_INFO_ADDR
.equ FW_BOOT_MAGIC,     0x31494256      ; "VBI1"
.equ FW_BI_ENTRY,       0x10
.equ FW_STACK,          0x7000          ; vmm/bootinfo.ts FIRMWARE_STACK_TOP
.equ FW_POWER,          0xf4

.text
_start:
        mov esp, FW_STACK
        mov ebx, FW_BOOT_INFO
        mov eax, [ebx]
        cmp eax, FW_BOOT_MAGIC
        jne fw_disk_boot
        mov ecx, [ebx + FW_BI_ENTRY]
        jmp ecx                         ; eax = BOOT_MAGIC, ebx = BOOT_INFO, ecx = entry

fw_disk_boot:
        mov edi, fw_bss_start           ; .bss is RAM the VMM did not clear for us
        mov ecx, fw_bss_end
        xor eax, eax
.zero:
        cmp edi, ecx
        jae .zeroed
        mov [edi], eax
        add edi, 4
        jmp .zero
.zeroed:
        xor ebp, ebp
        call fw_main
        jmp fw_halt                     ; fw_main never returns; if it did, stop

; unsigned fw_inb(unsigned port) / fw_ind(port)
fw_inb:
        mov edx, [esp + 4]
        inb eax, edx
        ret
fw_ind:
        mov edx, [esp + 4]
        ind eax, edx
        ret

; void fw_outb(unsigned port, unsigned value) / fw_outw / fw_outd
fw_outb:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        outb edx, eax
        ret
fw_outw:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        outw edx, eax
        ret
fw_outd:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        outd edx, eax
        ret

; void fw_enter_kernel(unsigned entry): the boot protocol of docs/boot.md, with the firmware's
; stack reset to its top as on a direct boot.
fw_enter_kernel:
        mov ecx, [esp + 4]
        mov esp, FW_STACK
        mov eax, FW_BOOT_MAGIC
        mov ebx, FW_BOOT_INFO
        xor ebp, ebp
        jmp ecx

; void fw_halt(void): after a power-off the VMM stops; hlt with IF=0 never wakes otherwise.
fw_halt:
        hlt
        jmp fw_halt

.bss
fw_bss_start:
