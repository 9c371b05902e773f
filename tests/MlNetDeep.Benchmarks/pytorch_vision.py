"""PyTorch side of the vision workloads (VisionWorkloads.cs): the same networks as MlNetDeep's Architectures, defined here
with torch.nn (torchvision not needed), on random images (the U-Net with a random class per pixel); training steps (zero-grad, forward, cross-entropy, backward,
SGD lr 0.01 classical momentum 0.9) and inference batches (eval mode, no grad). Warm-up of at least a second (3 calls),
then 5 rounds of at least 0.5 s each; the median images/s, one JSON object a line, as the C# side prints it.

    /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_vision.py resnet18-cifar [--batch 64] [--infer-batch 256] [--threads 2] [--train-only|--infer-only]
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """conv3x3(stride)-BN-ReLU-conv3x3-BN, identity or conv1x1(stride)-BN shortcut, ReLU after the add (Architectures.BasicBlock)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return F.relu(self.main(x) + self.shortcut(x))


def resnet(blocks, classes, size):
    """Architectures.ResNet: the ImageNet stem (7x7/2 conv, BN, ReLU, 3x3/2 max-pool) at every input size."""
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for stage, count in enumerate(blocks):
        width = 64 << stage
        for b in range(count):
            layers.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
            cin = width
    final = -(-size // 32)
    return nn.Sequential(*layers, nn.AvgPool2d(final), nn.Flatten(), nn.Linear(512, classes))


def small_conv_net(classes=10, width=32):
    layers, cin = [], 3
    for c in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(cin, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(4 * width * 16, classes))


def vgg_cifar(classes=10):
    layers, cin = [], 3
    for c in (64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0):
        if c == 0:
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, classes))


def vgg16(classes=1000):
    layers, cin = [], 3
    for c in (64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0):
        if c == 0:
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, c, 3, 1, 1), nn.ReLU(inplace=True)]
            cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 49, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(4096, classes))


def alexnet(classes=1000):
    """Architectures.AlexNet(inputSize: 224): the paper's two-group convolutions and LRN (alpha not divided by n there)."""
    lrn = lambda: nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, 4, 2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, 1, 2, groups=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, 1, 1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, 1, 1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, 1, 1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(256 * 36, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(4096, classes))


class Inception(nn.Module):
    """Architectures.InceptionModule: 1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3/1 max-pool then 1x1; ReLU after each
    convolution; the branches concatenated on channels."""

    def __init__(self, cin, ones, reduce3, threes, reduce5, fives, pool_projection):
        super().__init__()
        relu = lambda: nn.ReLU(inplace=True)
        self.branches = nn.ModuleList([
            nn.Sequential(nn.Conv2d(cin, ones, 1), relu()),
            nn.Sequential(nn.Conv2d(cin, reduce3, 1), relu(), nn.Conv2d(reduce3, threes, 3, padding=1), relu()),
            nn.Sequential(nn.Conv2d(cin, reduce5, 1), relu(), nn.Conv2d(reduce5, fives, 5, padding=2), relu()),
            nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, pool_projection, 1), relu())])

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


def small_inception(classes=10, size=28):
    """Architectures.SmallInception: a 3x3 stem with BN, two Inception modules with a max-pool between, global average pooling."""
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                         Inception(32, 16, 24, 32, 4, 8, 8), nn.MaxPool2d(2), Inception(64, 32, 32, 48, 8, 24, 16),
                         nn.AvgPool2d(size // 4), nn.Flatten(), nn.Linear(120, classes))


class ScaledTanh(nn.Module):
    """LeCun's squashing function 1.7159·tanh(2x/3) (ScaledTanh)."""

    def forward(self, x):
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """LeNet-5's trainable subsampling (Subsampling(2)): the sum of each 2x2 window times a coefficient per channel, plus a
    bias per channel."""

    def __init__(self, channels):
        super().__init__()
        self.coefficient = nn.Parameter(torch.full((1, channels, 1, 1), 0.25))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return F.avg_pool2d(x, 2) * (4 * self.coefficient) + self.bias


# C3's connection table (LeCun et al. 1998, table I): input feature maps of S2 each of the 16 maps of C3 reads.
LENET5_TABLE = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5], [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5],
                [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5], [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]]


class PartiallyConnectedConv(nn.Conv2d):
    """C3 (PartiallyConnectedConv2D): a 6→16 5x5 convolution whose weights are masked by the connection table, the way
    PyTorch users write it (a full convolution with the missing connections held at zero)."""

    def __init__(self):
        super().__init__(6, 16, 5)
        mask = torch.zeros(16, 6, 1, 1)
        for out, inputs in enumerate(LENET5_TABLE):
            mask[out, inputs] = 1
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias)


def lenet5_classic(classes=10):
    """Architectures.LeNet5Classic with its dense output: C1, S2, C3 with the table, S4, C5, F6, scaled tanh and sigmoids."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), ScaledTanh(), Subsampling(6), nn.Sigmoid(), PartiallyConnectedConv(),
                         ScaledTanh(), Subsampling(16), nn.Sigmoid(), nn.Conv2d(16, 120, 5), ScaledTanh(), nn.Flatten(),
                         nn.Linear(120, 84), ScaledTanh(), nn.Linear(84, classes))


def unit(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class UNet(nn.Module):
    """SegmentationArchitectures.UNet: 3x3 same convolutions + BN + ReLU twice per level, 2x2 max-pools, 2x2 stride-2
    transposed convolutions, concatenated skips, 1x1 scores per pixel."""

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


def conv_unit(cin, cout, k=3, dilation=1, bn=True):
    """SegmentationArchitectures' ConvUnit: a "same" convolution (dilated when asked), batch norm, ReLU."""
    return [nn.Conv2d(cin, cout, k, padding=dilation * (k - 1) // 2, dilation=dilation, bias=not bn),
            *([nn.BatchNorm2d(cout)] if bn else []), nn.ReLU(inplace=True)]


class Fcn8s(nn.Module):
    """SegmentationArchitectures.Fcn(classes, 8): five VGG-style blocks (f, 2f, 4f, 8f, 8f; two convolutions and a max-pool
    each), fc6 3x3 and fc7 1x1 (16f), 1x1 scores, 2x up-sampling (transposed convolutions) fused with pool4's and pool3's
    1x1 scores, then 8x."""

    def __init__(self, classes=4, f=16):
        super().__init__()
        widths, cin, blocks = [f, 2 * f, 4 * f, 8 * f, 8 * f], 3, []
        for w in widths:
            blocks.append(nn.Sequential(*conv_unit(cin, w), *conv_unit(w, w), nn.MaxPool2d(2)))
            cin = w
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Sequential(*conv_unit(8 * f, 16 * f), *conv_unit(16 * f, 16 * f, 1), nn.Conv2d(16 * f, classes, 1))
        self.up2 = nn.ConvTranspose2d(classes, classes, 4, 2, 1, bias=False)
        self.score4 = nn.Conv2d(8 * f, classes, 1)
        self.up4 = nn.ConvTranspose2d(classes, classes, 4, 2, 1, bias=False)
        self.score3 = nn.Conv2d(4 * f, classes, 1)
        self.up8 = nn.ConvTranspose2d(classes, classes, 16, 8, 4, bias=False)

    def forward(self, x):
        pools = []
        for block in self.blocks:
            x = block(x)
            pools.append(x)
        x = self.up2(self.head(x)) + self.score4(pools[3])
        x = self.up4(x) + self.score3(pools[2])
        return self.up8(x)


def encoder(f):
    """DeepLab's and PSPNet's encoder: two blocks with max-pools (output stride 4), then 3x3 convolutions dilated 2 and 4."""
    return nn.Sequential(*conv_unit(3, f), *conv_unit(f, f), nn.MaxPool2d(2), *conv_unit(f, 2 * f), *conv_unit(2 * f, 2 * f),
                         nn.MaxPool2d(2), *conv_unit(2 * f, 4 * f, 3, 2), *conv_unit(4 * f, 4 * f, 3, 4))


def upsample(x, factor):
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class DeepLab(nn.Module):
    """SegmentationArchitectures.DeepLab(classes, size): the encoder, ASPP (1x1, 3x3 at rates 1, 2, 3, image pooling with a
    1x1 convolution and no batch norm, broadcast back), a 1x1 fusion, 1x1 scores up-sampled 4x bilinearly."""

    def __init__(self, classes=4, size=128, f=16, rates=(1, 2, 3)):
        super().__init__()
        w = 4 * f
        self.encoder = encoder(f)
        self.branches = nn.ModuleList([nn.Sequential(*conv_unit(w, w, 1))] + [nn.Sequential(*conv_unit(w, w, 3, r)) for r in rates])
        self.image = nn.Sequential(nn.AvgPool2d(size // 4), *conv_unit(w, w, 1, bn=False))
        self.fuse = nn.Sequential(*conv_unit(w * (len(rates) + 2), w, 1), nn.Conv2d(w, classes, 1))
        self.map = size // 4

    def forward(self, x):
        x = self.encoder(x)
        image = upsample(self.image(x), self.map)
        return upsample(self.fuse(torch.cat([b(x) for b in self.branches] + [image], 1)), 4)


class PspNet(nn.Module):
    """SegmentationArchitectures.PspNet(classes, size): the encoder, the pyramid pooling module (bins 1, 2, 4: average pooling,
    1x1 convolution to f with batch norm, bilinear back), concatenated with the encoder's map, a 3x3 fusion, 1x1 scores
    up-sampled 4x bilinearly."""

    def __init__(self, classes=4, size=128, f=16, bins=(1, 2, 4)):
        super().__init__()
        self.encoder = encoder(f)
        self.windows = [size // 4 // b for b in bins]
        self.pyramid = nn.ModuleList([nn.Sequential(nn.AvgPool2d(w), *conv_unit(4 * f, f, 1)) for w in self.windows])
        self.fuse = nn.Sequential(*conv_unit(4 * f + len(bins) * f, 4 * f), nn.Conv2d(4 * f, classes, 1))

    def forward(self, x):
        x = self.encoder(x)
        levels = [x] + [p(x) if w == 1 else upsample(p(x), w) for p, w in zip(self.pyramid, self.windows)]
        return upsample(self.fuse(torch.cat(levels, 1)), 4)


# name: (network factory, image size, classes[, channels]); 3 channels unless given.
WORKLOADS = {
    "inception-28": (small_inception, 28, 10, 1),
    "lenet5classic-28": (lenet5_classic, 28, 10, 1),
    "resnet18-cifar": (lambda: resnet([2, 2, 2, 2], 10, 32), 32, 10),
    "resnet34-cifar": (lambda: resnet([3, 4, 6, 3], 10, 32), 32, 10),
    "smallconvnet-cifar": (small_conv_net, 32, 10),
    "vgg11-cifar": (vgg_cifar, 32, 10),
    "resnet18-224": (lambda: resnet([2, 2, 2, 2], 1000, 224), 224, 1000),
    "vgg16-224": (vgg16, 224, 1000),
    "alexnet-224": (alexnet, 224, 1000),
    "unet-128": (UNet, 128, 4),
    "fcn8s-128": (Fcn8s, 128, 4),
    "deeplab-128": (DeepLab, 128, 4),
    "pspnet-128": (PspNet, 128, 4),
}


def rounds(step, batch, warm_steps=3, count=5):
    """At least a second (and warm_steps steps) of warm-up, then count rounds of at least 0.5 s (and 2 steps): images/s
    per round. step(i) is called with the running index of the batch (a step may ignore it)."""
    i, t0 = 0, time.perf_counter()
    while i < warm_steps or time.perf_counter() - t0 < 1:
        step(i)
        i += 1
    rates = []
    for _ in range(count):
        t0, n = time.perf_counter(), 0
        while n < 2 or time.perf_counter() - t0 < 0.5:
            step(i)
            i += 1
            n += 1
        rates.append(n * batch / (time.perf_counter() - t0))
    return rates


def calibrate(model, x, passes=10):
    """Prepares inference as a trained network would be scored: ten training-mode forward passes on the inference batch
    move batch norm's running statistics from their initial 0 and 1 to the data's (65 % of the way at momentum 0.1; a
    fresh network in eval mode normalises nothing), then one forward and backward pass whose gradients are dropped. On this
    machine PyTorch's CPU kernels scored a network about 4 times faster once the process had run a backward pass through
    it (DeepLab at 128x128, batch 8: 56-59 images/s before, 212-272 after, a fresh model after a backward through another
    one too; flushing denormals did not help, a backward through a one-value graph did not do it); training runs one
    anyway, so the inference rows measure PyTorch in that faster state. MlNetDeep's side (VisionWorkloads.Infer) runs the
    same ten passes; its speed does not depend on the values."""
    model.train()
    with torch.no_grad():
        for _ in range(passes):
            model(x)
    model(x).float().sum().backward()
    model.zero_grad(set_to_none=True)


def emit(model, measure, rates, threads):
    print(json.dumps({"model": model, "measure": measure, "median": round(statistics.median(rates), 1), "min": round(min(rates), 1),
                      "max": round(max(rates), 1), "engine": "pytorch", "version": torch.__version__, "threads": threads}), flush=True)


def run(name, batch=None, infer_batch=None, threads=2, train=True, infer=True):
    """Times one workload's training steps and/or inference batches and prints them (pytorch_throughput.py calls it too)."""
    make, size, classes, channels = (*WORKLOADS[name], 3)[:4]
    batch = batch or (8 if size >= 128 else 64)
    infer_batch = infer_batch or (8 if size >= 128 else 256)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = make()
    if train:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = torch.rand(batch, channels, size, size), torch.arange(batch) % classes
        if name.endswith("-128"):  # the segmentation networks: a class per pixel
            y = torch.randint(0, classes, (batch, size, size))

        def step(_):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        emit(name, f"train_b{batch}_img_per_s", rounds(step, batch), threads)
    if infer:
        x = torch.rand(infer_batch, channels, size, size)
        calibrate(model, x)
        model.eval()

        def forward(_):
            with torch.no_grad():
                model(x)

        emit(name, f"infer_b{infer_batch}_img_per_s", rounds(forward, infer_batch), threads)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--infer-batch", type=int)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--infer-only", action="store_true")
    a = parser.parse_args()
    run(a.workload, a.batch, a.infer_batch, a.threads, train=not a.infer_only, infer=not a.train_only)


if __name__ == "__main__":
    main()
