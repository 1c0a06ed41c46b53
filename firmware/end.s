; firmware/end.s: linked last, so its label marks the end of the firmware's .bss (start.s
; zeroes fw_bss_start..fw_bss_end).
.bss
fw_bss_end:
