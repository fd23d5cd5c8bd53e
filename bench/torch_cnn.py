"""PyTorch on the convolutional case of bench/train.ts, for a throughput and accuracy comparison.

Usage: python3 bench/torch_cnn.py TRAIN.csv TEST.csv EPOCHS [SEED]
Prints one JSON object: trainSeconds, samplesPerSecond, testAccuracy.
One thread, float32, the same standardisation (per pixel, from the training rows) and architecture as
nn2c: the digits images as 8x8x1 -> Conv2D 8 3x3 same relu -> MaxPooling2D 2 -> Conv2D 16 3x3 same relu
-> GlobalAveragePooling2D -> Dense 10 softmax; Glorot uniform kernels, zero biases; adam lr 0.001,
epsilon 1e-7; batch 32, shuffled every epoch; crossentropy on the logits.
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
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.set_num_threads(1)
    torch.manual_seed(seed)
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
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = xt.shape[0]
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n)
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
