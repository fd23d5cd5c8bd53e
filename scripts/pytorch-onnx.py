#!/usr/bin/env python3
"""Small PyTorch models exported to ONNX, with PyTorch's own outputs: the clients nn2c's ONNX import is
checked against (test/import/onnx-pytorch.test.ts, npm run conformance).

    python3 scripts/pytorch-onnx.py OUTDIR

For each model and each opset from 13 to 17, writes OUTDIR/<model>-opset<N>.onnx, and once per model
OUTDIR/<model>.input.bin and OUTDIR/<model>.output.bin (float32, little-endian, batch first), and
OUTDIR/index.json (shapes). Weights, batch-normalization statistics and inputs come from fixed seeds.
Batch normalization is exported unfolded (training=TrainingMode.PRESERVE with the model in eval mode).
"""
import json
import os
import sys

import warnings

import torch
from torch import nn

OPSETS = [13, 14, 15, 16, 17]
BATCH = 4


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = self.b(torch.relu(self.a(x)))
        x = torch.relu(x + y)
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        return self.head(torch.flatten(x, 1))


class Viewed(nn.Module):
    """x.view(x.size(0), -1), exported with a dynamic batch: Shape, Gather, Unsqueeze, Concat, Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


class Scaled(nn.Module):
    """Input scaling by constants (Sub, Div, Mul, Add) before a Linear."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = (x - 0.5) / 2.0
        return torch.tanh(self.fc(x) * 1.5 + 0.25)


def models():
    return {
        # Conv1d, BatchNorm1d, ReLU, MaxPool1d, depthwise Conv1d, ReLU6 (Clip), global average, Linear, Softmax
        "conv1d": (
            nn.Sequential(
                nn.Conv1d(3, 8, 5, padding=2),
                nn.BatchNorm1d(8),
                nn.ReLU(),
                nn.MaxPool1d(2),
                nn.Conv1d(8, 8, 3, padding=1, groups=8),
                nn.ReLU6(),
                nn.AdaptiveAvgPool1d(1),
                nn.Flatten(),
                nn.Linear(8, 4),
                nn.Softmax(dim=1),
            ),
            [BATCH, 3, 32],
        ),
        # Conv2d, BatchNorm2d, depthwise Conv2d, LeakyReLU, a stride-2 convolution with symmetric padding
        # (not Keras' "same"), AvgPool2d, a pointwise convolution, Sigmoid, then a Linear over the
        # channels-first flattening
        "conv2d": (
            nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1),
                nn.BatchNorm2d(8),
                nn.ReLU(),
                nn.Conv2d(8, 8, 3, padding=1, groups=8),
                nn.BatchNorm2d(8),
                nn.LeakyReLU(0.1),
                nn.Conv2d(8, 12, 3, stride=2, padding=1),
                nn.Hardtanh(-1.0, 2.0),
                nn.AvgPool2d(2),
                nn.Conv2d(12, 16, 1),
                nn.Sigmoid(),
                nn.Flatten(),
                nn.Linear(16 * 3 * 3, 10),
            ),
            [BATCH, 1, 12, 12],
        ),
        # Linear, Hardsigmoid, Tanh, Dropout (inference), Linear
        "mlp": (
            nn.Sequential(
                nn.Linear(10, 32),
                nn.Hardsigmoid(),
                nn.Linear(32, 16),
                nn.Tanh(),
                nn.Dropout(0.3),
                nn.Linear(16, 3),
            ),
            [BATCH, 10],
        ),
        "residual": (Residual(), [BATCH, 3, 8, 8]),
        # a ResNet-like stem: a MaxPool padded with zeros after a ReLU (exact: its input is not negative),
        # and one in ceil_mode
        "stem": (
            nn.Sequential(
                nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(8),
                nn.ReLU(),
                nn.MaxPool2d(3, stride=2, padding=1),
                nn.MaxPool2d(2, ceil_mode=True),
                nn.Flatten(),
                nn.Linear(8 * 3 * 3, 6),
            ),
            [BATCH, 3, 20, 20],
        ),
        "viewed": (Viewed(), [BATCH, 2, 6, 6]),
        "scaled": (Scaled(), [BATCH, 6]),
    }


def main():
    # PRESERVE with the model in eval mode keeps batch normalization unfolded: the folding warning is moot
    warnings.filterwarnings("ignore", category=UserWarning)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    index = {}
    for k, (name, (model, shape)) in enumerate(models().items()):
        torch.manual_seed(100 + k)
        for p in model.parameters():
            nn.init.uniform_(p, -0.5, 0.5)
        # batch normalization statistics away from 0 and 1, so that an import that ignored them fails
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        x.numpy().astype("<f4").tofile(os.path.join(out, f"{name}.input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(out, f"{name}.output.bin"))
        for opset in OPSETS:
            torch.onnx.export(
                model,
                x,
                os.path.join(out, f"{name}-opset{opset}.onnx"),
                opset_version=opset,
                training=torch.onnx.TrainingMode.PRESERVE,
                do_constant_folding=True,
                input_names=["x"],
                output_names=["y"],
                # a symbolic batch, as most exports have: PyTorch then computes view()'s shape in the graph
                dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}} if name == "viewed" else None,
            )
        index[name] = {"input": list(shape), "output": list(y.shape), "opsets": OPSETS}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"torch": torch.__version__, "models": index}, f, indent=1)


if __name__ == "__main__":
    main()
