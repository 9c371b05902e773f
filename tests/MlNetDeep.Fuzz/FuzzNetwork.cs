using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Tensors;

namespace MlNetDeep.Fuzz;

/// <summary>The network the file fuzzers save: most layer types (convolution, batch and group normalisation, LRN,
/// pooling, a residual block and an Inception module as graphs, PReLU, dropout, dense), with non-default weights.</summary>
internal static class FuzzNetwork
{
    public static readonly int[] InputShape = [3, 12, 12];

    public static Sequential Create() => new(
        new Conv2D(6, 3, padding: 1),
        new BatchNormalization(),
        new ReLU(),
        new MaxPool2D(2),
        Architectures.BasicBlock(6, 8, stride: 2),
        Architectures.InceptionModule(2, 2, 3, 2, 2, 2),
        new GroupNormalization(3),
        new LocalResponseNormalization(3),
        new PReLU(0.1f),
        new AvgPool2D(3),
        new Flatten(),
        new Dropout(0.9f),
        new Dense(5),
        new Softmax()) { Name = "fuzz" };

    /// <summary>The network built (seed 0), with every parameter and buffer moved away from its initial value.</summary>
    public static Sequential Trained()
    {
        var network = Create();
        network.Build(InputShape, new RandomSource(0));
        var random = new RandomSource(7);
        foreach (var p in network.Parameters)
        {
            foreach (ref var v in p.Value.Span)
            {
                v += 0.05f * (float)random.NextGaussian();
            }
        }

        foreach (var (_, buffer) in network.Buffers)
        {
            foreach (ref var v in buffer.Span)
            {
                v = Math.Abs(v + (0.1f * (float)random.NextGaussian())) + 0.01f;
            }
        }

        return network;
    }

    /// <summary>Fixed inputs [4, ..InputShape].</summary>
    public static Tensor Inputs()
    {
        var x = new Tensor([4, .. InputShape]);
        var random = new RandomSource(3);
        foreach (ref var v in x.Span)
        {
            v = (float)random.NextGaussian();
        }

        return x;
    }
}
