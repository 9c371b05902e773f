"""PyTorch side of the detection benchmark: the same YOLO-style network as MlNetDeep's YoloNetwork.Create(grid, 16) on
64x64 RGB images (stride-2 stem, conv-BN-LeakyReLU(0.1) blocks with 2x2 max pooling, 1x1 head of B*(5+K) = 16 channels
on the 8x8 grid), 2 threads: inference images/s at batch 64 (eval mode) and one training step at batch 32 (forward,
a YOLO-like loss of the same cost structure, backward, Adam). 1 warm-up, median of 5. Prints JSON lines.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_detection.py
"""
import json, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


def block(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1)]


def yolo(width=16, outputs=16):
    layers = block(3, width, 2)
    cin = width
    for _ in range(2):
        cout = min(cin * 2, width * 8)
        layers += block(cin, cout) + [nn.MaxPool2d(2)]
        cin = cout
    layers += block(cin, cin) + [nn.Conv2d(cin, outputs, 1)]
    return nn.Sequential(*layers)


def loss_of(out, target):
    # Objectness BCE everywhere, squared error on boxes and cross-entropy on classes where target objectness is 1:
    # the arithmetic of MlNetDeep's YoloLoss (the per-object encoding is not the timed part).
    out = out.view(out.shape[0], 2, 8, 8, 8)
    obj = target[:, :, 0]
    bce = F.binary_cross_entropy_with_logits(out[:, :, 0], obj, reduction="sum")
    box = ((torch.sigmoid(out[:, :, 1:3]) - target[:, :, 1:3]) ** 2).sum(2) + ((out[:, :, 3:5] - target[:, :, 3:5]) ** 2).sum(2)
    cls = -(F.log_softmax(out[:, :, 5:], 2) * target[:, :, 5:]).sum(2)
    return (bce + ((box * 5 + cls) * obj).sum()) / out.shape[0]


def median_of(fn, repeats=5):
    fn()
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), min(seconds), max(seconds)


model = yolo()
x64 = torch.rand(64, 3, 64, 64)
model.eval()
with torch.no_grad():
    med, lo, hi = median_of(lambda: model(x64))
print(json.dumps({"measure": "yolo_inference_images_per_s_b64", "median": 64 / med, "min": 64 / hi, "max": 64 / lo,
                  "engine": "pytorch", "version": torch.__version__, "threads": 2}), flush=True)

model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x32 = torch.rand(32, 3, 64, 64)
target = torch.zeros(32, 2, 8, 8, 8)
target[:, 0, 3, 3, 0] = 1
target[:, 0, 3, 3, 1:5] = 0.5
target[:, 0, 3, 3, 5] = 1


def step():
    opt.zero_grad(set_to_none=True)
    loss_of(model(x32), target).backward()
    opt.step()


med, lo, hi = median_of(step)
print(json.dumps({"measure": "yolo_train_step_b32_s", "median": med, "min": lo, "max": hi,
                  "engine": "pytorch", "version": torch.__version__, "threads": 2}), flush=True)
