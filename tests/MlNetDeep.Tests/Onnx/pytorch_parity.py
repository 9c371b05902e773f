#!/usr/bin/python3
"""PyTorch side of MlNetDeep's ONNX parity test (tests/MlNetDeep.Tests/Onnx/PyTorchParityTests.cs).

For each torchvision network named on the command line it writes, into the output folder:
  NAME.onnx     the network with seeded random weights, exported by torch.onnx.export (opset 17)
  NAME.bin      the batch x, its labels y, the eval-mode logits, the train-mode logits and loss, and every parameter and
                buffer after one SGD step (train mode, cross-entropy averaged over the batch) on that batch

One SGD step through many train-mode batch norms can be rounding-sensitive: for ResNet-18 at 224x224 with a batch of 2,
torch's own float32 step differs from its float64 step by up to 3e-2 (relative) on some layer3 tensors. The test takes
ResNet-18 at 160x160, where the float32 steps agree.

The export is in TRAINING mode without constant folding, so that batch normalisation stays a BatchNormalization node
with its own initializers (in eval mode torch folds it into the convolutions) and the initializers keep PyTorch's
parameter names. VGG and AlexNet are built with dropout=0.0: a dropout mask is random, so a single step could not be
compared otherwise (the importer maps ONNX Dropout to MlNetDeep's Dropout either way). The running statistics of the
batch norms are set to random values first, so that the eval-mode comparison would catch a mix-up of mean and variance.

Tensor file format (little-endian): repeated records of int32 name length, UTF-8 name, int32 rank, int32 dims, float32 data.

usage: pytorch_parity.py OUTPUT_DIR NAME[:SIDE[:BATCH]] ...   (NAME one of resnet18, vgg11, alexnet)
"""
import os
import struct
import sys

import torch
import torchvision

LEARNING_RATE = 0.1
CLASSES = 10


def build(name):
    if name == "resnet18":
        return torchvision.models.resnet18(num_classes=CLASSES)
    if name == "vgg11":
        return torchvision.models.vgg11(num_classes=CLASSES, dropout=0.0)
    if name == "alexnet":
        return torchvision.models.alexnet(num_classes=CLASSES, dropout=0.0)
    raise SystemExit(f"unknown network {name}")


def write(out, name, tensor):
    data = tensor.detach().to(torch.float32).contiguous().numpy()
    encoded = name.encode("utf-8")
    out.write(struct.pack("<i", len(encoded)))
    out.write(encoded)
    out.write(struct.pack("<i", data.ndim))
    out.write(struct.pack(f"<{data.ndim}i", *data.shape))
    out.write(data.tobytes())


def run(folder, spec):
    parts = spec.split(":")
    name = parts[0]
    side = int(parts[1]) if len(parts) > 1 else 224
    batch = int(parts[2]) if len(parts) > 2 else 2
    torch.manual_seed(2024)
    model = build(name)
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
    x = torch.randn(batch, 3, side, side, generator=generator)
    y = torch.randint(0, CLASSES, (batch,), generator=generator)

    model.train()
    torch.onnx.export(
        model, x, os.path.join(folder, f"{name}.onnx"), opset_version=17,
        training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
        input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})

    model.eval()
    with torch.no_grad():
        logits = model(x)

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    optimizer.zero_grad()
    train_logits = model(x)
    loss = torch.nn.functional.cross_entropy(train_logits, y)
    loss.backward()
    optimizer.step()

    with open(os.path.join(folder, f"{name}.bin"), "wb") as out:
        write(out, "x", x)
        write(out, "y", y.to(torch.float32))
        write(out, "logits", logits)
        write(out, "loss", loss.detach().reshape(1))
        write(out, "train_logits", train_logits)
        for key, value in model.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                write(out, "after:" + key, value)
    print(f"{name}: side {side}, batch {batch}, loss {loss.item():.6f}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    torch.set_num_threads(int(os.environ.get("PARITY_THREADS", "2")))
    for spec in sys.argv[2:]:
        run(sys.argv[1], spec)


if __name__ == "__main__":
    main()
