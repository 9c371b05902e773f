"""PyTorch side of the large-network step benchmark: one training step (forward, cross-entropy, backward, SGD with
momentum) of torchvision's VGG-16 and ResNet-18 at batch 8 on 224x224 images, 2 threads; 1 warm-up, median of 3.
Needs Debian's python3-torch and python3-torchvision (apt-get install python3-torchvision); run with the OpenMP OpenBLAS:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_large_step.py [resnet18] [vgg16]
"""
import json, statistics, sys, time
import torch, torch.nn.functional as F, torchvision

torch.set_num_threads(2)
models = (("resnet18", torchvision.models.resnet18), ("vgg16", torchvision.models.vgg16))
for name, make in [m for m in models if len(sys.argv) < 2 or m[0] in sys.argv[1:]]:
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(8, 3, 224, 224)
    y = torch.arange(1, 9)
    seconds = []
    for step in range(4):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if step > 0:
            seconds.append(time.perf_counter() - t0)
    print(json.dumps({"model": name, "measure": "train_step_b8_224_s", "median": statistics.median(seconds),
                      "min": min(seconds), "max": max(seconds), "engine": "pytorch", "version": torch.__version__, "threads": 2}), flush=True)
