/**
 * The largest models nn2c takes. No microcontroller holds more, and beyond them training would exhaust
 * the host's memory before saying anything useful: a width or a model over these is bad input, refused
 * before any work with the limit named.
 */
import { UsageError } from "./errors.js";

/** Values in one tensor (a layer's width): 2^20. The largest Cortex-M parts have a few MB of SRAM. */
export const MAX_TENSOR_VALUES = 2 ** 20;

/** Parameters of a model: 2^24 (16 MB of int8 weights), more than any microcontroller's flash. */
export const MAX_PARAMETERS = 2 ** 24;

/** Refuses a tensor width above MAX_TENSOR_VALUES; `what` names it (`--layers width`, `Dense units`). */
export function checkWidth(width: number, what: string): number {
  if (width > MAX_TENSOR_VALUES) {
    throw new UsageError(
      `${what} ${width}: at most ${MAX_TENSOR_VALUES} values per layer (no microcontroller holds a larger one)`,
    );
  }
  return width;
}

/** Refuses a model of more than MAX_PARAMETERS parameters. */
export function checkParameters(params: number, what: string): void {
  if (params > MAX_PARAMETERS) {
    throw new UsageError(
      `${what} would have ${params.toExponential(2)} parameters: nn2c takes at most ${MAX_PARAMETERS} (16 MB of int8 weights, more than any microcontroller's flash)`,
    );
  }
}
