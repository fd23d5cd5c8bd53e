/*
 * Markers for the qemu-icount plugin (firmware/tools/qemu-icount). Each reads the byte at
 * board_mark_window + id: the plugin watches the loads made by these two functions and takes the
 * id from the address, since QEMU 7.2's plugin API cannot read registers. noipa keeps them out
 * of line and stops GCC folding the two identical bodies into one function; aligned(32) keeps
 * each (12 bytes at -O2, about 30 at -O0) inside one 1 KiB page, hence in one translation block.
 */
#include <stdint.h>

#include "board.h"

extern const volatile uint8_t board_mark_window[];

__attribute__((noipa, used, aligned(32))) void board_mark_begin(uint32_t id) { (void)board_mark_window[id & 0xFFFFu]; }

__attribute__((noipa, used, aligned(32))) void board_mark_end(uint32_t id) { (void)board_mark_window[id & 0xFFFFu]; }
