"""PyTorch's post-training static quantization of an nn2c dense model, for bench/quant.ts.

Usage: python3 bench/torch_quant.py CASE.json
CASE.json (written by bench/quant.ts) holds the float model as nn2c trained it ("layers": each with
"weight" [units][inputs], "bias" and "activation"), the standardised calibration rows ("calibration", the
training rows) and test rows ("test").

Eager mode, as PyTorch's documentation describes it: QuantStub, the Linear layers fused with their relu,
DeQuantStub before the output activation (softmax, sigmoid and a regression output stay in float), the
default qconfig of the available engine (a histogram observer for activations, per-channel weights), and
a min/max variant (MinMaxObserver for activations, the same weights). Prints one JSON object: the float
outputs and each quantized model's outputs on the test rows, before the output activation.
"""
import json
import sys

import torch
from torch import nn
from torch.ao import quantization as tq


class Net(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.quant = tq.QuantStub()
        body = []
        for k, layer in enumerate(layers):
            w = torch.tensor(layer["weight"], dtype=torch.float32)
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float32))
            body.append(lin)
            last = k == len(layers) - 1
            act = layer["activation"]
            if last or act == "linear":
                continue
            body.append({"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[act])
        self.body = nn.Sequential(*body)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


def quantized(layers, qconfig, calibration):
    net = Net(layers).eval()
    pairs = [[str(i), str(i + 1)] for i, m in enumerate(net.body) if isinstance(m, nn.Linear)
             and i + 1 < len(net.body) and isinstance(net.body[i + 1], nn.ReLU)]
    if pairs:
        net.body = tq.fuse_modules(net.body, pairs)
    net.qconfig = qconfig
    tq.prepare(net, inplace=True)
    with torch.no_grad():
        net(calibration)
    tq.convert(net, inplace=True)
    return net


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    torch.set_num_threads(1)
    engine = torch.backends.quantized.engine
    layers = case["layers"]
    calibration = torch.tensor(case["calibration"], dtype=torch.float32)
    test = torch.tensor(case["test"], dtype=torch.float32)
    default = tq.get_default_qconfig(engine)
    minmax = tq.QConfig(
        activation=tq.MinMaxObserver.with_args(reduce_range=default.activation().reduce_range),
        weight=default.weight,
    )
    with torch.no_grad():
        out = {
            "engine": engine,
            "float": Net(layers).eval()(test).tolist(),
            "default": quantized(layers, default, calibration)(test).tolist(),
            "minmax": quantized(layers, minmax, calibration)(test).tolist(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
