/**
 * `Sequential`: a stack of layers, each reading the one before, with the API of `Model`. Its graph is made
 * when it is built: from the first layer's `inputShape`, the shape given to `build`, or the width of the
 * rows `fit` first sees.
 */
import type { Shape } from "../core/shape.js";
import { UsageError } from "../errors.js";
import type { Layer } from "./layers.js";
import { Model, nameLayers } from "./model.js";

export class Sequential extends Model {
  private readonly stack: Layer[] = [];

  constructor(layers: Layer[] = []) {
    super();
    for (const layer of layers) this.add(layer);
  }

  add(layer: Layer): this {
    if (this.built) throw new UsageError("cannot add a layer to a model that is already built");
    if (!layer || typeof (layer as Layer).kind !== "string")
      throw new UsageError("Sequential.add: expected a layer (Dense({...}), Activation(...), ...)");
    this.stack.push(layer);
    this.layerObjects = [...this.stack];
    return this;
  }

  override get layers(): Layer[] {
    return this.stack;
  }

  override get inputSize(): number {
    const shape = this.definition?.input.shape ?? this.stack[0]?.inputShape;
    return shape ? shape.reduce((a, b) => a * b, 1) : 0;
  }

  /**
   * Builds the model: its graph from the input shape (a width, or a shape such as [8, 8, 1]; default the
   * first layer's inputShape), then its weights from `seed`.
   */
  override build(input: number | Shape = this.stack[0]?.inputShape ?? 0, seed = 0): this {
    this.define(input);
    return this.initialize(seed);
  }

  /** A table of the layers (the model gets its graph from the first layer's inputShape if not built). */
  override summary(): string {
    if (!this.graph) this.define(this.stack[0]?.inputShape ?? 0);
    return super.summary();
  }

  /** The graph of the stack from the input shape (shapes checked), without weights yet. */
  define(input: number | Shape): this {
    const shape = typeof input === "number" ? [input] : input;
    if (!(shape.length > 0 && shape.every((d) => Number.isInteger(d) && d > 0))) {
      throw new UsageError(
        `input size ${JSON.stringify(input)}: expected a positive integer or shape (give inputShape on the first layer)`,
      );
    }
    if (this.stack.length === 0) throw new UsageError("a model needs at least one layer");
    const names = nameLayers(this.stack);
    this.setDefinition(
      {
        input: { name: "input", shape },
        nodes: this.stack.map((layer, k) => ({
          name: names[k],
          kind: layer.kind,
          inputs: [k === 0 ? "input" : names[k - 1]],
          config: layer.config,
        })),
        output: names[names.length - 1],
      },
      this.stack,
    );
    return this;
  }

  protected override ensureBuilt(cols: number, seed: number): void {
    if (this.built) return;
    const given = this.stack[0]?.inputShape;
    if (given && given.reduce((a, b) => a * b, 1) !== cols) {
      throw new UsageError(
        `input has ${cols} features per row, the first layer's inputShape ${JSON.stringify(given)} holds ${given.reduce((a, b) => a * b, 1)}`,
      );
    }
    this.build(given ?? cols, seed);
  }
}
