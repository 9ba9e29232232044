"""PyTorch side of scripts/bench-peer.sh: samples/s of one forward + backward step
(cross-entropy, parameter gradients) of the project's benchmark networks, on the shapes of
lib/nn's BenchmarkMNISTMLPStep50 and BenchmarkCNNStep32. A development tool only: nothing in
the product or its tests uses PyTorch.

Usage: python3 bench-peer-torch.py SECONDS THREADS
Prints lines "torch <name> <dtype> <samples/s>".
"""
import sys
import time

import torch
from torch import nn


def mlp():
    return nn.Sequential(nn.Linear(784, 50, bias=False), nn.ReLU(),
                         nn.Linear(50, 50, bias=False), nn.ReLU(),
                         nn.Linear(50, 10, bias=False))


def cnn():
    def conv(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*conv(1, 32), nn.MaxPool2d(2), *conv(32, 64), nn.MaxPool2d(2),
                         *conv(64, 128), *conv(128, 128), nn.MaxPool2d(2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(128, 20, bias=False), nn.ReLU(), nn.Linear(20, 10, bias=False))


def bench(model, shape, batch, dtype, seconds):
    torch.manual_seed(1)
    model = model.to(dtype)
    x = torch.randn(batch, *shape, dtype=dtype)
    y = torch.randint(0, 10, (batch,))
    loss = nn.CrossEntropyLoss()

    def step():
        model.zero_grad(set_to_none=False)
        loss(model(x), y).backward()

    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def main():
    seconds, threads = float(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    for name, model, shape, batch in [("MNISTMLPStep50", mlp, (784,), 50),
                                      ("CNNStep32", cnn, (1, 28, 28), 32)]:
        for dtype, dname in [(torch.float32, "float32"), (torch.float64, "float64")]:
            print(f"torch {name} {dname} {bench(model(), shape, batch, dtype, seconds):.1f}", flush=True)


if __name__ == "__main__":
    main()
