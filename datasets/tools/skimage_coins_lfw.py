#!/usr/bin/python3
"""Writes datasets/coins and datasets/lfw-subset from Debian's python3-skimage (0.19.3).

coins/: coins.png copied unchanged; coins-mask.png (0 background, 255 coin) and coins-boxes.csv (one box per coin, pixel
edges) made by a classical, documented segmentation: Sobel elevation map, markers (grey < 30 background, > 150 coin),
watershed, holes filled, regions under 64 pixels removed, connected components. No learning is involved, so these
labels can score a network honestly.

lfw-subset/: skimage's lfw_subset.npy (200 greyscale 25 x 25 crops: 100 faces, then 100 non-faces from the backgrounds
of the same LFW photos) as IDX files: images-idx3-ubyte.gz and labels-idx1-ubyte.gz (1 = face, 0 = non-face). gzip is
written with mtime 0, so the files are reproducible byte for byte.

Usage: /usr/bin/python3 datasets/tools/skimage_coins_lfw.py DATASETS_DIR
"""
import csv
import gzip
import os
import shutil
import struct
import sys

import numpy as np
from scipy import ndimage as ndi
from skimage import data, filters, io, measure, morphology, segmentation

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


def coins(out):
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(os.path.join(SKIMAGE_DATA, "coins.png"), os.path.join(out, "coins.png"))
    image = data.coins()
    markers = np.zeros_like(image, dtype=np.int32)
    markers[image < 30] = 1
    markers[image > 150] = 2
    regions = segmentation.watershed(filters.sobel(image), markers)
    coin = ndi.binary_fill_holes(regions - 1)
    coin = morphology.remove_small_objects(coin, 64)
    labels = measure.label(coin)
    io.imsave(os.path.join(out, "coins-mask.png"), (coin * 255).astype(np.uint8), check_contrast=False)
    with open(os.path.join(out, "coins-boxes.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label", "xmin", "ymin", "xmax", "ymax", "pixels"])
        for p in measure.regionprops(labels):
            top, left, bottom, right = p.bbox
            w.writerow(["coin", left, top, right, bottom, int(p.area)])
    return labels.max()


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(payload)


def lfw(out):
    os.makedirs(out, exist_ok=True)
    images = np.load(os.path.join(SKIMAGE_DATA, "lfw_subset.npy"))
    if images.dtype != np.uint8:
        images = np.clip(np.rint(images * 255 if images.max() <= 1 else images), 0, 255).astype(np.uint8)
    n, h, w = images.shape
    labels = np.array([1] * (n // 2) + [0] * (n - n // 2), dtype=np.uint8)
    write_gz(os.path.join(out, "images-idx3-ubyte.gz"), struct.pack(">IIII", 0x803, n, h, w) + images.tobytes())
    write_gz(os.path.join(out, "labels-idx1-ubyte.gz"), struct.pack(">II", 0x801, n) + labels.tobytes())
    return images.shape, images.dtype


if __name__ == "__main__":
    root = sys.argv[1]
    print("coins:", coins(os.path.join(root, "coins")))
    print("lfw-subset:", lfw(os.path.join(root, "lfw-subset")))
