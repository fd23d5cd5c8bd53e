"""PyTorch on the convolutional case of bench/train.ts, for a throughput and accuracy comparison.

Usage: python3 bench/torch_cnn.py TRAIN.csv TEST.csv EPOCHS START.json
Prints one JSON object: trainSeconds, samplesPerSecond, testAccuracy.
One thread, float32, the same standardisation (per pixel, from the training rows) and architecture as
nn2c: the digits images as 8x8x1 -> Conv2D 8 3x3 same relu -> MaxPooling2D 2 -> Conv2D 16 3x3 same relu
-> GlobalAveragePooling2D -> Dense 10 softmax; adam lr 0.001, epsilon 1e-7; batch 32; crossentropy on
the logits. START.json (written by bench/train.ts) holds nn2c's initial weights ("weights": Conv2D
kernels [kh][kw][C][F] and biases, the Dense kernel [units][inputs] and bias, flattened) and the row order
of every epoch ("orders"), so that both trainers start alike and see the same batches.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, :-1], data[:, -1].astype(np.int64)


def main():
    train, test, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(sys.argv[4]) as f:
        start = json.load(f)
    torch.set_num_threads(1)
    x_train, y_train = load(train)
    x_test, y_test = load(test)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std < 1e-12] = 1
    # rows hold each 8x8x1 image channels last; PyTorch wants [N, C, H, W]
    to_images = lambda x: torch.from_numpy(((x - mean) / std).astype(np.float32)).reshape(-1, 8, 8, 1).permute(0, 3, 1, 2).contiguous()
    xt, xs = to_images(x_train), to_images(x_test)
    yt, ys = torch.from_numpy(y_train), torch.from_numpy(y_test)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding="same"),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding="same"),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )
    weights = [torch.tensor(w, dtype=torch.float32) for w in start["weights"]]
    with torch.no_grad():
        # Conv2D kernels [kh][kw][C][F] -> PyTorch's [F][C][kh][kw]; the Dense kernel is [units][inputs] in both
        model[0].weight.copy_(weights[0].reshape(3, 3, 1, 8).permute(3, 2, 0, 1))
        model[0].bias.copy_(weights[1])
        model[3].weight.copy_(weights[2].reshape(3, 3, 8, 16).permute(3, 2, 0, 1))
        model[3].bias.copy_(weights[3])
        model[7].weight.copy_(weights[4].reshape(10, 16))
        model[7].bias.copy_(weights[5])
    orders = [torch.tensor(o, dtype=torch.int64) for o in start["orders"]]
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = xt.shape[0]
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = orders[epoch]
        for i in range(0, n, 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        accuracy = (model(xs).argmax(dim=1) == ys).float().mean().item()
    print(json.dumps({"trainSeconds": seconds, "samplesPerSecond": n * epochs / seconds, "testAccuracy": accuracy}))


if __name__ == "__main__":
    main()
