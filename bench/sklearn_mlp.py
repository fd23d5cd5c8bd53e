"""scikit-learn's MLPClassifier on the same task as bench/train.ts, for a throughput comparison.

Usage: python3 bench/sklearn_mlp.py TRAIN.csv TEST.csv EPOCHS [SEED]
Prints one JSON object: trainSeconds, samplesPerSecond, testAccuracy.
One thread (the caller sets OMP/OPENBLAS/MKL thread counts to 1), float32 inputs, the same standardisation,
hidden layers 32 and 16 with relu, adam lr 0.001, batch 32, no L2, no early stopping.
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, :-1], data[:, -1].astype(np.int64)


def main():
    train, test, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    x_train, y_train = load(train)
    x_test, y_test = load(test)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std < 1e-12] = 1
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_test = ((x_test - mean) / std).astype(np.float32)
    clf = MLPClassifier(
        hidden_layer_sizes=(32, 16),
        activation="relu",
        solver="adam",
        learning_rate_init=0.001,
        batch_size=32,
        max_iter=epochs,
        shuffle=True,
        random_state=seed,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=epochs + 1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(x_train, y_train)
        seconds = time.perf_counter() - start
    print(json.dumps({
        "trainSeconds": seconds,
        "samplesPerSecond": len(x_train) * clf.n_iter_ / seconds,
        "epochs": clf.n_iter_,
        "testAccuracy": float(clf.score(x_test, y_test)),
    }))


if __name__ == "__main__":
    main()
