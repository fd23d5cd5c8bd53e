"""Makes test/fixtures/tflite-ops: small int8 TensorFlow Lite models of the operators MLPerf Tiny's
models lack (ADD, MEAN, LEAKY_RELU, LOGISTIC, TANH, QUANTIZE between two int8 quantizations), each with
20 input vectors and the exact output codes of TensorFlow Lite's reference kernels; and the `mixed`
graph (a residual Add) as Keras files and float32 TensorFlow Lite, with Keras' outputs.

Not run by the tests or by CI: the fixtures it wrote are in the repository. To make them again, with
TensorFlow 2.21 (tensorflow-cpu) in a Python 3.11 virtual environment:

    python scripts/tflite-ops-fixtures.py test/fixtures/tflite-ops

Models are converted with full-integer quantization (int8 input and output) from Keras models with
seeded weights, calibrated on seeded data; goldens come from tf.lite.Interpreter with
OpResolverType.BUILTIN_REF (TensorFlow Lite's reference kernels). The first input vector of a model
whose input is [1, 256] holds every int8 code once, so element-wise operators are checked exhaustively.
"""

import hashlib
import json
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

SEED = 20261203
COUNT = 20
keras = tf.keras
layers = keras.layers


def seeded(seed):
    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def convert(model, shape, rng, spread=2.0):
    """Full-integer int8 conversion, calibrated on 64 seeded vectors of `shape`."""
    calibration = [rng.normal(0.0, spread, (1, *shape)).astype(np.float32) for _ in range(64)]

    def representative():
        for x in calibration:
            yield [x]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def elementwise(layer, seed):
    """Input [256] straight into one element-wise layer."""
    rng = seeded(seed)
    x = keras.Input((256,))
    return convert(keras.Model(x, layer(x)), (256,), rng)


def requantize(factor, seed):
    """A QUANTIZE from int8 to int8: a RELU6 model whose operator becomes QUANTIZE, its output given
    `factor` times the scale and zero point 17 (the converter writes such operators where two
    quantizations meet)."""
    rng = seeded(seed)
    x = keras.Input((256,))
    flat = convert(keras.Model(x, layers.ReLU(max_value=6.0)(x)), (256,), rng)
    m = flatbuffer_utils.convert_bytearray_to_object(flat)
    g = m.subgraphs[0]
    assert len(g.operators) == 1
    code = m.operatorCodes[g.operators[0].opcodeIndex]
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
    code.version = 1
    out = g.tensors[g.operators[0].outputs[0]]
    out.quantization.scale = [float(out.quantization.scale[0]) * factor]
    out.quantization.zeroPoint = [17]
    g.operators[0].builtinOptionsType = 0
    g.operators[0].builtinOptions = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def mean(keepdims, seed, shape=(6, 5, 8), same=False):
    """A convolution, then the mean over height and width (GlobalAveragePooling2D gives MEAN); `same`
    gives the mean's output its input's quantization."""
    rng = seeded(seed)
    x = keras.Input(shape)
    y = layers.Conv2D(shape[-1], 3, padding="same")(x)
    if keepdims:
        y = layers.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(y)
    else:
        y = layers.GlobalAveragePooling2D()(y)
    flat = convert(keras.Model(x, y), shape, rng)
    if not same:
        return flat
    m = flatbuffer_utils.convert_bytearray_to_object(flat)
    g = m.subgraphs[0]
    mean_op = g.operators[-1]
    source = g.tensors[mean_op.inputs[0]].quantization
    target = g.tensors[mean_op.outputs[0]].quantization
    target.scale, target.zeroPoint = list(source.scale), list(source.zeroPoint)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def add(seed):
    """A residual ADD with a fused relu, of the input and a 1x1 convolution of it."""
    rng = seeded(seed)
    x = keras.Input((4, 4, 8))
    y = layers.Conv2D(8, 1)(x)
    y = layers.ReLU()(layers.Add()([y, x]))
    return convert(keras.Model(x, y), (4, 4, 8), rng)


def mixed_keras(seed):
    """Several of them in one graph: conv, leaky relu, a residual add, mean, dense, tanh, logistic."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((8, 8, 3))
    a = layers.LeakyReLU(negative_slope=0.1)(layers.Conv2D(8, 3, padding="same")(x))
    b = layers.Conv2D(8, 3, padding="same")(a)
    y = layers.Add()([a, b])
    y = layers.GlobalAveragePooling2D()(y)
    y = layers.Dense(12, activation="tanh")(y)
    y = layers.Dense(4, activation="sigmoid")(y)
    return keras.Model(x, y)


def mixed(seed):
    return convert(mixed_keras(seed), (8, 8, 3), np.random.default_rng(seed))


def keras_graph(out_dir, seed):
    """The mixed graph as Keras files (.keras, and the legacy .h5 Keras 3 still writes) and float32
    TensorFlow Lite, with 20 seeded float32 inputs and Keras' own outputs for them."""
    model = mixed_keras(seed)
    model.save(os.path.join(out_dir, "mixed.keras"))
    model.save(os.path.join(out_dir, "mixed.h5"))
    flat = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    with open(os.path.join(out_dir, "mixed_float.tflite"), "wb") as f:
        f.write(flat)
    x = np.random.default_rng(seed).normal(0.0, 2.0, (COUNT, 8, 8, 3)).astype(np.float32)
    x.tofile(os.path.join(out_dir, "mixed_float.inputs.bin"))
    model.predict(x, verbose=0).astype(np.float32).tofile(os.path.join(out_dir, "mixed_float.outputs.bin"))


MODELS = {
    "logistic": lambda: elementwise(layers.Activation("sigmoid"), SEED + 1),
    "tanh": lambda: elementwise(layers.Activation("tanh"), SEED + 2),
    "leaky_relu": lambda: elementwise(layers.LeakyReLU(negative_slope=0.3), SEED + 3),
    "quantize": lambda: requantize(0.37, SEED + 4),
    "quantize_down": lambda: requantize(3.1, SEED + 9),
    "mean": lambda: mean(False, SEED + 5),
    "mean_keepdims": lambda: mean(True, SEED + 6),
    "mean_wide": lambda: mean(False, SEED + 10, shape=(10, 7, 32)),
    "mean_same": lambda: mean(False, SEED + 11, same=True),
    "add": lambda: add(SEED + 7),
    "mixed": lambda: mixed(SEED + 8),
}


def goldens(flat, name, out_dir):
    interpreter = tf.lite.Interpreter(
        model_content=flat,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
    )
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    shape = tuple(inp["shape"])
    n = int(np.prod(shape))
    rng = np.random.default_rng(SEED)
    vectors = rng.integers(-128, 128, (COUNT, n)).astype(np.int8)
    vectors[0] = np.arange(-128, 128).repeat(n // 256 + 1)[:n].astype(np.int8) if n >= 256 else vectors[0]
    vectors[COUNT - 2] = -128
    vectors[COUNT - 1] = 127
    outputs = []
    for v in vectors:
        interpreter.set_tensor(inp["index"], v.reshape(shape))
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(out["index"]).astype(np.int8).reshape(-1))
    outputs = np.stack(outputs)
    vectors.tofile(os.path.join(out_dir, f"{name}.inputs.bin"))
    outputs.tofile(os.path.join(out_dir, f"{name}.outputs.bin"))
    ops = [op["op_name"] for op in interpreter._get_ops_details()]
    return {
        "model": f"{name}.tflite",
        "sha256": hashlib.sha256(flat).hexdigest(),
        "count": COUNT,
        "input": {
            "shape": [int(d) for d in shape],
            "scale": float(inp["quantization"][0]),
            "zero_point": int(inp["quantization"][1]),
        },
        "output": {
            "shape": [int(d) for d in out["shape"]],
            "scale": float(out["quantization"][0]),
            "zero_point": int(out["quantization"][1]),
        },
        "operators": ops,
        "distinct_outputs": int(len(np.unique(outputs))),
    }


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    index = {
        "generator": "scripts/tflite-ops-fixtures.py",
        "tensorflow": tf.__version__,
        "resolver": "BUILTIN_REF",
        "models": {},
    }
    for name, make in MODELS.items():
        flat = make()
        with open(os.path.join(out_dir, f"{name}.tflite"), "wb") as f:
            f.write(flat)
        index["models"][name] = goldens(flat, name, out_dir)
        print(name, index["models"][name]["operators"], index["models"][name]["distinct_outputs"])
    keras_graph(out_dir, SEED + 8)
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
