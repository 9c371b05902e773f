"""PyTorch's side of the side-by-side comparison (side_by_side.py runs it alternately with `yardstick`).

usage: pytorch_throughput.py WORKLOAD [--threads 2] [--batch B] [--infer-batch B]
                             [--train-only|--infer-only|--latency-only] [WORKLOAD ...]
       pytorch_throughput.py --flops WORKLOAD [WORKLOAD ...]   (one image's forward flops; see forward_flops)

The same workloads, options, recipes and protocol as MlNetDeep's `yardstick` command (SideBySide.cs,
VisionWorkloads.cs), one JSON object a line:
  mlp, lenet, lenet_bn   the committed MNIST training digits; MLP 784-256-128-10 ReLU with Adam 1e-3, LeNet-5
                         (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, 400-120-84-10 ReLU;
                         lenet_bn adds batch norm after each convolution and dropout 0.5) with SGD 0.05, momentum 0.9.
                         training at batch 64 by default and inference at 256: at least a second (and 30 or 5 steps)
                         of warm-up (pytorch_vision.rounds), then 7 rounds of at least 0.5 s; 2,000 batch-1 calls (the first 200 dropped). Medians.
  inception-28, lenet5classic-28 (1x28x28; the small Inception net and LeCun's LeNet-5 with C3's table as a masked
                         convolution), resnet18-cifar, resnet34-cifar, smallconvnet-cifar, vgg11-cifar (3x32x32),
                         10 classes, batch 64, inference 256;
  resnet18-224, vgg16-224, alexnet-224 (3x224x224, 1000 classes, batch 8):
                         random images; SGD 0.01 with momentum 0.9 and softmax cross-entropy; at least a second
                         (and 3 steps) of warm-up, then 5 rounds of at least 0.5 s (and 2 steps); median images/s.
  sgemm-1024             C = A.B on 1024x1024 float32 (torch.mm into a preallocated C); GFLOP/s.
The networks are MlNetDeep's Architectures layer for layer; the vision ones and their protocol live in pytorch_vision.py
(AlexNet is the paper's: 96 filters, grouped convolutions, local response normalisation, which torchvision's is not).
Run it with Debian's python3-torch and OpenBLAS's OpenMP build (side_by_side.py does both):
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_throughput.py lenet
"""
import gzip, json, os, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import pytorch_vision  # the vision networks and their protocol

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
        rates = pytorch_vision.rounds(step, batch, warm_steps=30, count=7)
        emit(name, f"train_b{batch}_img_per_s", rates, threads)

    if not wants(options, "train"):
        # As pytorch_vision.calibrate: PyTorch scores faster once the process has run a backward pass through the network.
        F.cross_entropy(model(x[:batch]), y[:batch]).backward()
        model.zero_grad(set_to_none=True)

    model.eval()
    with torch.no_grad():
        if wants(options, "infer"):
            rates = pytorch_vision.rounds(lambda i: model(x[i % (len(x) // 256) * 256:][:256]), 256, warm_steps=5, count=7)
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


def run_vision(name, options):
    pytorch_vision.run(name, options.get("batch"), options.get("infer_batch"), options["threads"],
                       train=wants(options, "train"), infer=wants(options, "infer"))


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


def forward_flops(name):
    """Multiply-add work of one image's forward pass, 2 flops a multiply-add, counted from the convolution, transposed
    convolution and linear layers (what both engines spend their time in; normalisation, activations and pooling are
    left out). A training step is counted as three forward passes (forward, input gradient, weight gradient)."""
    if name in MNIST_MODELS:
        model, shape = MNIST_MODELS[name](), (1, 1, 28, 28)
    else:
        make, size, _, channels = (*pytorch_vision.WORKLOADS[name], 3)[:4]
        model, shape = make(), (1, channels, size, size)
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, pytorch_vision.PartiallyConnectedConv):  # only the table's connections
            kh, kw = module.kernel_size
            total[0] += 2 * (output.numel() // module.out_channels) * int(module.mask.sum()) * kh * kw
        elif isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total[0] += 2 * output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.ConvTranspose2d):
            kh, kw = module.kernel_size
            total[0] += 2 * inputs[0].numel() * (module.out_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            total[0] += 2 * output.numel() * module.in_features

    for m in model.modules():
        m.register_forward_hook(hook)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(shape))
    return total[0]


RUNNERS = {**{k: run_mnist for k in MNIST_MODELS}, **{k: run_vision for k in pytorch_vision.WORKLOADS}, "sgemm-1024": run_sgemm}


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
    if sys.argv[1:2] == ["--flops"]:
        for name in sys.argv[2:]:
            print(json.dumps({"model": name, "measure": "forward_flops_per_image", "median": forward_flops(name)}), flush=True)
        return
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
