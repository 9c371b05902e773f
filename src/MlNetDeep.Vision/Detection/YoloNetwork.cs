using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// A small YOLO detector from the existing layers: a backbone of 3 × 3 convolutions with batch normalisation and leaky
/// ReLU (slope 0.1, as YOLO), each block halving the image with 2 × 2 max pooling, then a 1 × 1 convolution head with
/// B·(5 + K) channels — one cell of the output per cell of the <see cref="YoloGrid"/>.
/// </summary>
public static class YoloNetwork
{
    /// <summary>
    /// Builds the network for <paramref name="grid"/> (the image side must be S times a power of two 2^k): a stem of
    /// <paramref name="width"/> filters with stride 2, k − 1 blocks each followed by 2 × 2 max pooling with widths
    /// 2·width, 4·width, … (capped at 8·width), then one more 3 × 3 block and the 1 × 1 head.
    /// </summary>
    /// <param name="grid">The grid; its image must be square-celled with side S·2^k.</param>
    /// <param name="width">The first block's filters.</param>
    public static Sequential Create(YoloGrid grid, int width = 16)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var stride = grid.ImageHeight / grid.GridSize;
        if (grid.ImageHeight % grid.GridSize != 0 || grid.ImageWidth != grid.ImageHeight || !int.IsPow2(stride))
        {
            throw new ArgumentException(
                $"A YOLO backbone needs a square image whose side is the grid size times a power of two; got {grid.ImageHeight} × {grid.ImageWidth} for a grid of {grid.GridSize}.",
                nameof(grid));
        }

        // The stem halves the image with a strided convolution: a full-resolution block would cost as much as the rest.
        var network = new Sequential([]);
        var filters = width;
        AddBlock(network, filters, stride: stride > 1 ? 2 : 1);
        for (var s = stride / 2; s > 1; s /= 2)
        {
            filters = Math.Min(filters * 2, width * 8);
            AddBlock(network, filters);
            network.Add(new MaxPool2D(2));
        }

        AddBlock(network, filters);
        network.Add(new Conv2D(grid.AnchorCount * grid.ValuesPerAnchor, 1));
        return network;
    }

    private static void AddBlock(Sequential network, int filters, int stride = 1)
    {
        network.Add(new Conv2D(filters, 3, stride: stride, padding: Padding.Same, useBias: false));
        network.Add(new BatchNormalization());
        network.Add(new LeakyReLU(0.1f));
    }
}
