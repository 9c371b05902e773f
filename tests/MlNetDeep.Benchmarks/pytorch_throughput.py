"""PyTorch's side of the side-by-side comparison (side_by_side.py runs it alternately with `yardstick`).

usage: pytorch_throughput.py WORKLOAD [--threads 2] [--batch B] [--infer-batch B]
                             [--train-only|--infer-only|--latency-only] [WORKLOAD ...]

The same workloads, options, recipes and protocol as MlNetDeep's `yardstick` command (SideBySide.cs,
VisionWorkloads.cs), one JSON object a line:
  mlp, lenet, lenet_bn   the committed MNIST training digits; MLP 784-256-128-10 ReLU with Adam 1e-3, LeNet-5
                         (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, 400-120-84-10 ReLU;
                         lenet_bn adds batch norm after each convolution and dropout 0.5) with SGD 0.05, momentum 0.9.
                         30 warm-up steps, 7 rounds of 6,400 training images (batch 64 by default); 7 rounds of 20
                         inference batches of 256; 2,000 batch-1 calls (the first 200 dropped). Medians.
  resnet18-cifar, resnet34-cifar, smallconvnet-cifar, vgg11-cifar (3x32x32, 10 classes, batch 64, inference 256),
  resnet18-224, vgg16-224, alexnet-224 (3x224x224, 1000 classes, batch 8):
                         random images; SGD 0.01 with momentum 0.9 and softmax cross-entropy; at least a second
                         (and 3 steps) of warm-up, then 5 rounds of at least 0.5 s (and 2 steps); median images/s.
  sgemm-1024             C = A.B on 1024x1024 float32 (torch.mm into a preallocated C); GFLOP/s.
The networks are MlNetDeep's Architectures layer for layer: torchvision's resnet18/resnet34/vgg16 where torchvision is
installed (Debian: python3-torchvision), the same definitions written out here otherwise; AlexNet is the paper's (96
filters, grouped convolutions, local response normalisation), which torchvision's is not.
Run it with Debian's python3-torch and OpenBLAS's OpenMP build (side_by_side.py does both):
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_throughput.py lenet
"""
import gzip, json, os, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    import torchvision
except ImportError:
    torchvision = None

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "..", "datasets", "mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_train():
    x = read_idx(os.path.join(MNIST, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(MNIST, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(y.copy())


# --- networks -------------------------------------------------------------------------------------------------------

def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet(bn=False):
    norm = lambda c: [nn.BatchNorm2d(c)] if bn else []
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), *norm(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), *norm(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), *([nn.Dropout(0.5)] if bn else []), nn.Linear(84, 10))


class BasicBlock(nn.Module):
    """Architectures.BasicBlock: conv3x3(stride)-BN-ReLU-conv3x3-BN, shortcut identity or 1x1(stride)-BN, then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return F.relu(self.main(x) + self.shortcut(x))


def resnet(blocks, classes):
    """Architectures.ResNet18/34: 7x7/2 stem, BN, ReLU, 3x3/2 max-pool, four stages, global average pool, dense."""
    if torchvision is not None:
        return {2: torchvision.models.resnet18, 3: torchvision.models.resnet34}[blocks[0]](num_classes=classes)
    layers, cin = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)], 64
    for stage, count in enumerate(blocks):
        cout = 64 << stage
        for b in range(count):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))


def vgg_features(config, batch_norm, bias):
    layers, cin = [], 3
    for c in config:
        if c == 0:
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, c, 3, padding=1, bias=bias)] + ([nn.BatchNorm2d(c)] if batch_norm else []) + [nn.ReLU(inplace=True)]
            cin = c
    return layers


def vgg16():
    """Architectures.Vgg16: thirteen 3x3 convolutions with bias and ReLU, five max-pools, 4096-4096-1000 with dropout."""
    if torchvision is not None:
        return torchvision.models.vgg16()
    return nn.Sequential(*vgg_features([64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0], False, True),
                         nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(True), nn.Dropout(),
                         nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))


def vgg11_cifar():
    """VisionWorkloads.VggCifar: VGG-11's convolutions without bias, each with BN and ReLU, then dense 512 -> 10."""
    return nn.Sequential(*vgg_features([64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], True, False), nn.Flatten(), nn.Linear(512, 10))


def small_convnet(width=32, classes=10):
    """Architectures.SmallConvNet(10, 32): three blocks conv3x3 (no bias)-BN-ReLU-max-pool, widths w, 2w, 4w; dense."""
    layers, cin = [], 3
    for c in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(4 * width * 16, classes))


def alexnet():
    """Architectures.AlexNet(1000, 224): the paper's network (LRN alpha 1e-4 on the sum = PyTorch's 5e-4 on the mean)."""
    lrn = lambda: nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, 4, 2), nn.ReLU(True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(True), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(True), nn.Dropout(),
        nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))


VISION = {  # name: (network, input shape, classes)
    "resnet18-cifar": (lambda: resnet([2, 2, 2, 2], 10), (3, 32, 32), 10),
    "resnet34-cifar": (lambda: resnet([3, 4, 6, 3], 10), (3, 32, 32), 10),
    "smallconvnet-cifar": (small_convnet, (3, 32, 32), 10),
    "vgg11-cifar": (vgg11_cifar, (3, 32, 32), 10),
    "resnet18-224": (lambda: resnet([2, 2, 2, 2], 1000), (3, 224, 224), 1000),
    "vgg16-224": (vgg16, (3, 224, 224), 1000),
    "alexnet-224": (alexnet, (3, 224, 224), 1000),
}
MNIST_MODELS = {"mlp": mlp, "lenet": lenet, "lenet_bn": lambda: lenet(bn=True)}


# --- protocol -------------------------------------------------------------------------------------------------------

def emit(model, measure, values, threads, **extra):
    record = {"model": model, "measure": measure, "median": round(statistics.median(values), 2),
              "min": round(min(values), 2), "max": round(max(values), 2)}
    record.update(extra, engine="pytorch", version=torch.__version__, threads=threads)
    print(json.dumps(record), flush=True)


def wants(options, measure):
    only = options.get("only")
    return only is None or only == measure


def run_mnist(name, options):
    threads = options["threads"]
    x, y = mnist_train()
    torch.manual_seed(0)
    model = MNIST_MODELS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3) if name == "mlp" else torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batch = options.get("batch") or 64
    batches = len(x) // batch

    def step(i):
        j = (i % batches) * batch
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[j:j + batch]), y[j:j + batch]).backward()
        opt.step()

    if wants(options, "train"):
        model.train()
        for i in range(30):
            step(i)
        steps, rates = max(1, 6400 // batch), []
        for s in range(7):
            t0 = time.perf_counter()
            for i in range(steps):
                step(s * steps + i)
            rates.append(steps * batch / (time.perf_counter() - t0))
        emit(name, f"train_b{batch}_img_per_s", rates, threads)

    model.eval()
    with torch.no_grad():
        if wants(options, "infer"):
            for _ in range(5):
                model(x[:256])
            rates = []
            for s in range(7):
                t0 = time.perf_counter()
                for k in range(20):
                    o = (s * 20 + k) % (len(x) // 256) * 256
                    model(x[o:o + 256])
                rates.append(20 * 256 / (time.perf_counter() - t0))
            emit(name, "infer_b256_img_per_s", rates, threads)
        if wants(options, "latency"):
            lat = []
            for i in range(2000):
                xb = x[i:i + 1]
                t0 = time.perf_counter_ns()
                model(xb)
                lat.append((time.perf_counter_ns() - t0) / 1000)
            lat = sorted(lat[200:])
            emit(name, "latency_b1_us", lat, threads, p99=lat[int(0.99 * (len(lat) - 1))])


def rounds(step, batch):
    """At least a second (and 3 steps) of warm-up, then 5 rounds of at least 0.5 s (and 2 steps): images/s a round."""
    t0 = time.perf_counter()
    i = 0
    while i < 3 or time.perf_counter() - t0 < 1:
        step()
        i += 1
    rates = []
    for _ in range(5):
        t0, steps = time.perf_counter(), 0
        while steps < 2 or time.perf_counter() - t0 < 0.5:
            step()
            steps += 1
        rates.append(steps * batch / (time.perf_counter() - t0))
    return rates


def run_vision(name, options):
    threads = options["threads"]
    make, shape, classes = VISION[name]
    large = name.endswith("-224")
    batch = options.get("batch") or (8 if large else 64)
    infer_batch = options.get("infer_batch") or (8 if large else 256)
    torch.manual_seed(0)
    model = make()
    parameters = sum(p.numel() for p in model.parameters())
    if wants(options, "train"):
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.rand(batch, *shape)
        y = torch.arange(batch) % classes

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        emit(name, f"train_b{batch}_img_per_s", rounds(step, batch), threads, parameters=parameters)
    if wants(options, "infer"):
        model.eval()
        x = torch.rand(infer_batch, *shape)
        with torch.no_grad():
            emit(name, f"infer_b{infer_batch}_img_per_s", rounds(lambda: model(x), infer_batch), threads, parameters=parameters)


def run_sgemm(name, options):
    n = 1024
    g = torch.Generator().manual_seed(1)
    a, b, c = torch.rand(n, n, generator=g), torch.rand(n, n, generator=g), torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    rates = []
    for _ in range(7):
        t0, count = time.perf_counter(), 0
        while count < 2 or time.perf_counter() - t0 < 0.2:
            torch.mm(a, b, out=c)
            count += 1
        rates.append(2.0 * n ** 3 * count / (time.perf_counter() - t0) / 1e9)
    emit(name, "gflop_per_s", rates, options["threads"])


RUNNERS = {**{k: run_mnist for k in MNIST_MODELS}, **{k: run_vision for k in VISION}, "sgemm-1024": run_sgemm}


def parse(argv):
    """Splits the command line into (workload, options) pairs, as SideBySide.Run does."""
    jobs, i = [], 0
    while i < len(argv):
        name, options = argv[i], {"threads": 2}
        i += 1
        if name not in RUNNERS:
            sys.exit(f"Unknown workload '{name}'; known: {', '.join(RUNNERS)}.")
        while i < len(argv) and argv[i].startswith("--"):
            flag = argv[i]
            i += 1
            if flag in ("--train-only", "--infer-only", "--latency-only"):
                options["only"] = flag[2:-5]
            elif flag in ("--threads", "--batch", "--infer-batch") and i < len(argv) and argv[i].isdigit() and int(argv[i]) > 0:
                options[flag[2:].replace("-", "_")] = int(argv[i])
                i += 1
            else:
                sys.exit(f"Option '{flag}' is unknown or needs a positive whole number; known: --threads N, --batch N, "
                         "--infer-batch N, --train-only, --infer-only, --latency-only.")
        jobs.append((name, options))
    return jobs


def main():
    jobs = parse(sys.argv[1:] or ["mlp", "lenet", "lenet_bn"])
    for name, options in jobs:
        torch.set_num_threads(options["threads"])
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(limits=options["threads"], user_api="blas")
        except ImportError:
            pass
        RUNNERS[name](name, options)


if __name__ == "__main__":
    main()
