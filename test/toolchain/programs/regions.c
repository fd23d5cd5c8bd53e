/*
 * Marked regions for the instruction counter. Region ids:
 *   1            empty: board_mark_begin(1) then board_mark_end(1)
 *   100 + k      spin(N[k]): an assembly loop of exactly 2 instructions per iteration
 *   200 + k      fnv(N[k]): a C loop, FNV-1a over N[k] bytes
 * N comes through a volatile so that the compiler cannot specialise the loops.
 */
#include <stdint.h>

#include "board.h"

static volatile uint32_t sizes[] = {10, 100, 1000, 10000};
static volatile uint32_t sink;

static void spin(uint32_t n) {
  if (n == 0u) return;
  __asm volatile(
      "1: subs %0, %0, #1\n" /* 1 instruction */
      "   bne 1b\n"          /* 1 instruction */
      : "+l"(n)
      :
      : "cc");
}

static uint32_t fnv(uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) {
    h ^= i & 0xFFu;
    h *= 16777619u;
  }
  return h;
}

int main(void) {
  board_mark_begin(1);
  board_mark_end(1);
  for (uint32_t k = 0; k < 4u; k++) {
    uint32_t n = sizes[k];
    board_mark_begin(100u + k);
    spin(n);
    board_mark_end(100u + k);
  }
  for (uint32_t k = 0; k < 4u; k++) {
    uint32_t n = sizes[k];
    board_mark_begin(200u + k);
    sink = fnv(n);
    board_mark_end(200u + k);
  }
  board_puts("done\n");
  return 0;
}
