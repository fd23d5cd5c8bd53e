/**
 * Gradient checks by central finite differences, shared by the layer, activation, network and loss tests.
 *
 * The network stores float32, so a perturbation of eps = 1e-3 on values of order 1 is rounded: the step
 * actually taken ((v + eps) - v in float32) is what the difference is divided by. The loss itself is
 * summed in double from float32 activations, which leaves an absolute noise of about 1e-7 / 2e-3 = 5e-5 on
 * a numeric derivative; the tolerance (5e-4 absolute plus 1% relative) sits well above that and far below
 * what a wrong derivative (a sign error, a factor 2) produces on derivatives of order 0.1 to 1.
 */
import { expect } from "vitest";
import type { Network } from "../../src/model/network.js";
import type { Sequential } from "../../src/model/sequential.js";
import { getLoss, type LossInput } from "../../src/train/losses.js";

export const EPS = 1e-3;
export const ATOL = 5e-4;
export const RTOL = 1e-2;

/** d f / d values[i] for i < count, by central differences, restoring every value afterwards. */
export function numericGradient(
  values: Float32Array,
  count: number,
  f: () => number,
  eps = EPS,
): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i];
    values[i] = v + eps;
    const up = values[i] - v;
    const fUp = f();
    values[i] = v - eps;
    const down = v - values[i];
    const fDown = f();
    values[i] = v;
    out[i] = (fUp - fDown) / (up + down);
  }
  return out;
}

export interface GradientPair {
  name: string;
  analytic: ArrayLike<number>;
  numeric: ArrayLike<number>;
}

/** Descriptions of the entries where analytic and numeric gradients disagree (empty when they agree). */
export function gradientMismatches(pairs: GradientPair[], atol = ATOL, rtol = RTOL): string[] {
  const out: string[] = [];
  for (const { name, analytic, numeric } of pairs) {
    expect(analytic.length, `${name}: length`).toBe(numeric.length);
    for (let i = 0; i < analytic.length; i++) {
      const a = analytic[i];
      const n = numeric[i];
      if (!(Math.abs(a - n) <= atol + rtol * Math.max(Math.abs(a), Math.abs(n)))) {
        out.push(`${name}[${i}]: analytic ${a.toPrecision(6)}, numeric ${n.toPrecision(6)}`);
      }
    }
  }
  return out;
}

/**
 * Asserts that the gradients agree, printing the first few differences and a count; and that they are not
 * trivially zero, which would make the check pass whatever the derivative.
 */
export function expectGradientsMatch(pairs: GradientPair[]): void {
  const bad = gradientMismatches(pairs);
  const total = pairs.reduce((s, p) => s + p.analytic.length, 0);
  expect(bad.length === 0 ? "" : `${bad.length} of ${total} differ: ${bad.slice(0, 5).join("; ")}`).toBe("");
  const largest = Math.max(...pairs.flatMap((p) => Array.from(p.analytic, Math.abs)));
  expect(largest, "largest analytic gradient").toBeGreaterThan(0.02);
}

/** Asserts that no value lies within `margin` of a kink (where a piecewise derivative is undefined). */
export function expectAwayFrom(values: ArrayLike<number>, kinks: number[], margin = 20 * EPS): void {
  const near = Array.from(values).filter((v) => kinks.some((k) => Math.abs(v - k) < margin));
  expect(near, "values near a kink").toEqual([]);
}

export interface NetworkCheck {
  net: Network;
  /** the loss's input after a forward pass of the unperturbed network */
  input: LossInput;
  /** parameter gradients (W0, b0, W1, b1, ...) analytic and numeric */
  params: GradientPair[];
  /** gradients wrt the network's input and every intermediate activation up to the loss */
  acts: GradientPair[];
}

/**
 * Runs one forward and backward pass of `seq` (as fit does: fused loss, L2 penalty) on rows `x` with
 * `target`, and the same gradients by finite differences of loss + penalty.
 */
export function checkNetwork(
  seq: Sequential,
  lossName: string,
  x: number[][],
  target: ArrayLike<number>,
): NetworkCheck {
  const loss = getLoss(lossName);
  const N = x.length;
  const net = seq.network(N);
  const lossStart = net.lossStart(loss.fusedWith);
  const width = net.outputSize;
  const input: LossInput = {
    z: net.acts[lossStart],
    y: net.output,
    target: Float32Array.from(target),
    N,
    width,
  };
  net.acts[0].set(x.flat());
  // tensor k is read by step k on a chain: perturbing it, the steps from k on compute the loss
  const from = (k: number) => {
    net.forwardFrom(k, N);
    return loss.value(input) + net.penalty();
  };

  // analytic: the same calls as the training loop, plus the gradient wrt the input
  from(0);
  loss.gradient(input, net.grads[lossStart]);
  net.backward(N, lossStart, true);
  const analyticParams = net.paramGrads().map((g) => Float64Array.from(g));
  const analyticActs = net.grads
    .slice(0, lossStart + 1)
    .map((g, k) => Float64Array.from(g.subarray(0, N * net.sizes[k])));
  const state = net.acts.map((a) => a.slice());
  const restore = () => {
    for (let j = 0; j < state.length; j++) net.acts[j].set(state[j]);
  };

  const params = net.params().map((p, j) => ({
    name: `param ${j} (${j % 2 === 0 ? "W" : "b"}${j >> 1})`,
    analytic: analyticParams[j],
    numeric: numericGradient(p, p.length, () => from(0)),
  }));
  const acts = analyticActs.map((analytic, k) => {
    restore();
    return {
      name: `acts[${k}]`,
      analytic,
      numeric: numericGradient(net.acts[k], analytic.length, () => from(k)),
    };
  });
  restore();
  return { net, input, params, acts };
}
