/** Activation functions (double precision) and quantizations shared by the quant tests. */

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Elementwise activations the int16 tables are tested with; sigmoid and tanh are point-symmetric. */
export const ACTIVATIONS: Record<string, (x: number) => number> = {
  sigmoid,
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  swish: (x) => x * sigmoid(x),
  elu: (x) => (x >= 0 ? x : Math.expm1(x)),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  hardSigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  leakyRelu: (x) => (x >= 0 ? x : 0.01 * x),
};

/** int16 output of sigmoid and tanh: scale 1/32768, zero point 0. */
export const Q15_OUT = { scale: 1 / 32768, zeroPoint: 0 };
