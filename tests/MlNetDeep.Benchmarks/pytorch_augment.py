"""PyTorch side of the augmentation benchmark (`yardstick augment`): AlexNet's training augmentation of a batch of 64
float images 3x256x256 -> per image a random 224 crop, a horizontal flip with p = 0.5 (torchvision.transforms on tensors;
this torchvision, 0.14, predates transforms.v2) and the PCA colour shift (no built-in: the 3 lines of fb.resnet.torch's
Lighting, ImageNet's eigenvalues and eigenvectors, sigma 0.1), stacked into the batch as DataLoader's collate does.
Same protocol as ours: source of 128 images in shuffled order, half a second (at least 10 batches) of warm-up, 7 rounds
of 10 batches, median images/s; in this process with torch.set_num_threads(2), then 1; then (context) a DataLoader with 2 worker processes.
Needs Debian's python3-torch and python3-torchvision:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/MlNetDeep.Benchmarks/pytorch_augment.py
"""
import json, statistics, time
import torch, torchvision
import torchvision.transforms as T

BATCH = 64
EIGVAL = torch.tensor([0.2175, 0.0188, 0.0045])
EIGVEC = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
crop_flip = T.Compose([T.RandomCrop(224), T.RandomHorizontalFlip()])


def augment(image):
    image = crop_flip(image)
    alpha = torch.randn(3) * 0.1                       # PCA lighting (AlexNet): offset = P (alpha * lambda)
    return image + (EIGVEC @ (alpha * EIGVAL)).view(3, 1, 1)


class Images(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return augment(self.images[i])


def emit(measure, rates, threads):
    print(json.dumps({"model": "alexnet_augment", "measure": measure, "median": round(statistics.median(rates), 1),
                      "min": round(min(rates), 1), "max": round(max(rates), 1), "engine": "pytorch",
                      "version": torch.__version__, "torchvision": torchvision.__version__, "threads": threads}), flush=True)


torch.manual_seed(0)
source = torch.rand(2 * BATCH, 3, 256, 256)
order = torch.randperm(2 * BATCH)
step = 0


def batch():
    global step
    step += 1
    rows = order[(step % 2) * BATCH:(step % 2 + 1) * BATCH]
    return torch.stack([augment(source[r]) for r in rows])


for threads in (2, 1):
    torch.set_num_threads(threads)
    warm = time.perf_counter()
    for i in range(1 << 30):
        if i >= 10 and time.perf_counter() - warm >= 0.5:
            break
        batch()
    rates = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(10):
            batch()
        rates.append(10 * BATCH / (time.perf_counter() - t0))
    emit("crop224_mirror_pca_b64_img_per_s", rates, threads)

# Context: how PyTorch usually spreads augmentation over cores, worker processes (each single-threaded) feeding batches.
torch.set_num_threads(1)
loader = torch.utils.data.DataLoader(Images(source), batch_size=BATCH, shuffle=True, num_workers=2, persistent_workers=True)
batches = iter(())


def next_batch():
    global batches
    try:
        return next(batches)
    except StopIteration:
        batches = iter(loader)
        return next(batches)


warm = time.perf_counter()
for i in range(1 << 30):
    if i >= 10 and time.perf_counter() - warm >= 0.5:
        break
    next_batch()
rates = []
for _ in range(7):
    t0 = time.perf_counter()
    for _ in range(10):
        next_batch()
    rates.append(10 * BATCH / (time.perf_counter() - t0))
emit("dataloader_2_workers_crop224_mirror_pca_b64_img_per_s", rates, 2)
