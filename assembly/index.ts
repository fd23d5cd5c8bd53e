// The training kernels' module: what scripts/build-wasm.mjs compiles (`npm run build`).
export * from "./dense";
export * from "./elementwise";
export * from "./window";
