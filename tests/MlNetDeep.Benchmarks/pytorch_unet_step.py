"""PyTorch side of the U-Net step benchmark (UNetStep.cs): one training step (forward, per-pixel cross-entropy,
backward, Adam) of the same small U-Net — depth 3, 16 filters, 3x3 same convolutions + batch norm + ReLU, 2x2 max-pools,
2x2 stride-2 transposed convolutions, concatenated skips, 1x1 scores for 4 classes — at batch 8 on 128x128 images,
2 threads; 1 warm-up, median of 5. Needs only Debian's python3-torch:

    /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_unet_step.py
"""
import json, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F


def unit(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class UNet(nn.Module):
    def __init__(self, classes=4, depth=3, f=16):
        super().__init__()
        self.down = nn.ModuleList()
        c = 3
        for level in range(depth):
            self.down.append(nn.Sequential(*unit(c, f << level), *unit(f << level, f << level)))
            c = f << level
        self.bottleneck = nn.Sequential(*unit(c, f << depth), *unit(f << depth, f << depth))
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for level in reversed(range(depth)):
            self.up.append(nn.ConvTranspose2d(f << (level + 1), f << level, 2, stride=2))
            self.upconv.append(nn.Sequential(*unit(2 * (f << level), f << level), *unit(f << level, f << level)))
        self.score = nn.Conv2d(f, classes, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.up, self.upconv, reversed(skips)):
            x = conv(torch.cat([up(x), skip], 1))
        return self.score(x)


torch.set_num_threads(2)
torch.manual_seed(0)
model = UNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(8, 3, 128, 128)
y = torch.randint(0, 4, (8, 128, 128))
seconds = []
for step in range(6):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    if step > 0:
        seconds.append(time.perf_counter() - t0)
print(json.dumps({"model": "unet3-16", "measure": "train_step_b8_128_s", "median": statistics.median(seconds),
                  "min": min(seconds), "max": max(seconds), "engine": "pytorch", "version": torch.__version__, "threads": 2}), flush=True)
