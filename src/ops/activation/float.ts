/** Activations in the float32 reference, as the float C kernels compute them. */
import { getActivation } from "../../core/activations.js";

/**
 * y = act(y) in place over a float32 vector; leaky relu's alpha as the float constant the C kernel takes.
 * Softmax normalises over `width` values at a time (the last dimension).
 */
export function applyActivationFloat32(
  act: { name: string; alpha: number },
  y: Float32Array,
  width = y.length,
): void {
  if (act.name === "linear") return;
  getActivation(act.name).forward(y, y, y.length, width, { alpha: Math.fround(act.alpha) });
}
