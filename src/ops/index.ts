/**
 * Every op kind nn2c has, registered by importing its folder. A new kind is one folder and one line here;
 * the file schemas, the drivers and the contract tests pick it up from the registry.
 */
import "./dense/index.js";
import "./activation/index.js";
import "./batch_normalization/index.js";
import "./add/index.js";
import "./dropout/index.js";
import "./reshape/index.js";
import "./conv2d/index.js";
import "./conv1d/index.js";
import "./depthwise_conv2d/index.js";
import "./separable_conv2d/index.js";
import "./pooling/index.js";
import "./zero_padding/index.js";

export { findOp, getOp, getOpFacet, opKinds } from "./registry.js";
