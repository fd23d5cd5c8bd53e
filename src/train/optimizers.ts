/**
 * Optimizers update parameters in place from their gradients. Their state (momentum, moments) lives here,
 * apart from the model, and is allocated once per parameter array.
 */
import { UsageError } from "../errors.js";
import type { TrainingNetwork } from "./fit.js";

type Network = Pick<TrainingNetwork, "params" | "paramGrads" | "slots" | "kernels">;

export type OptimizerSpec =
  | { name: "sgd"; lr?: number; momentum?: number; nesterov?: boolean }
  | { name: "adam"; lr?: number; beta1?: number; beta2?: number; epsilon?: number };

export const OPTIMIZER_NAMES = ["sgd", "adam"] as const;

export interface Optimizer {
  readonly spec: Required<OptimizerSpec>;
  /** state arrays the optimizer needs per parameter array (allocated by the network) */
  readonly slots: number;
  /** one update of every parameter of the network from its gradients */
  step(net: Network): void;
}

export function resolveOptimizer(spec: string | OptimizerSpec): Required<OptimizerSpec> {
  const s: OptimizerSpec = typeof spec === "string" ? ({ name: spec } as OptimizerSpec) : spec;
  if (s.name === "sgd") {
    return { name: "sgd", lr: s.lr ?? 0.01, momentum: s.momentum ?? 0, nesterov: s.nesterov ?? false };
  }
  if (s.name === "adam") {
    return {
      name: "adam",
      lr: s.lr ?? 0.001,
      beta1: s.beta1 ?? 0.9,
      beta2: s.beta2 ?? 0.999,
      epsilon: s.epsilon ?? 1e-7,
    };
  }
  throw new UsageError(
    `unknown optimizer '${(s as { name: string }).name}': expected one of ${OPTIMIZER_NAMES.join(", ")}`,
  );
}

export function createOptimizer(spec: string | OptimizerSpec): Optimizer {
  const s = resolveOptimizer(spec);
  if (!(s.lr > 0 && Number.isFinite(s.lr)))
    throw new UsageError(`learning rate ${s.lr}: expected a positive number`);
  return s.name === "sgd" ? sgd(s) : adam(s);
}

function sgd(spec: Required<Extract<OptimizerSpec, { name: "sgd" }>>): Optimizer {
  const { lr, momentum, nesterov } = spec;
  return {
    spec,
    slots: momentum === 0 ? 0 : 1,
    step(net) {
      const params = net.params();
      const grads = net.paramGrads();
      for (let p = 0; p < params.length; p++) {
        const w = params[p];
        const g = grads[p];
        if (momentum === 0) {
          for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
          continue;
        }
        const v = net.slots[p][0];
        // Keras' formulation: v = m v - lr g; w += v (plain) or w += m v - lr g (Nesterov)
        for (let j = 0; j < w.length; j++) {
          const vj = momentum * v[j] - lr * g[j];
          v[j] = vj;
          w[j] += nesterov ? momentum * vj - lr * g[j] : vj;
        }
      }
    },
  };
}

function adam(spec: Required<Extract<OptimizerSpec, { name: "adam" }>>): Optimizer {
  const { lr, beta1, beta2, epsilon } = spec;
  let t = 0;
  // the moments live in the network's slots, new for each fit: the step count starts again with them
  let current: WeakRef<Network> | null = null;
  return {
    spec,
    slots: 2,
    step(net) {
      if (current?.deref() !== net) {
        current = new WeakRef(net);
        t = 0;
      }
      t++;
      // bias correction folded into the step size, as in Kingma & Ba (section 2)
      const a = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const params = net.params();
      const grads = net.paramGrads();
      for (let p = 0; p < params.length; p++) {
        const [m, v] = net.slots[p];
        net.kernels.adamStep(params[p], grads[p], m, v, params[p].length, a, beta1, beta2, epsilon);
      }
    },
  };
}
