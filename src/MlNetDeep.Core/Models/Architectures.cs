using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Layers.LeNet;

namespace MlNetDeep.Models;

/// <summary>
/// The convolutional networks of the curriculum as code (seed 000 §2.3–2.5, seed 001 "卷积神经网络" weeks 1–2), each
/// returning an unbuilt network whose last layer gives logits. Build them with their input shape; the parameter
/// counts are those of the seeds and papers (tested).
/// </summary>
public static class Architectures
{
    /// <summary>
    /// LeNet-5 as LeCun et al. built it (seed 000 §2.3): C1 6@5x5 (156 parameters; MNIST's 28x28 is padded by 2 to the
    /// paper's 32x32), S2 trainable subsampling + sigmoid (12), C3 with the partial connection table (1516), S4 (32),
    /// C5 120@5x5 (48120), F6 84 units with A·tanh(S·a) (10164), and an RBF output (840) or a dense one (850).
    /// C1, C3 and C5 are followed by the same scaled tanh, as in the paper.
    /// </summary>
    /// <param name="classes">Output units.</param>
    /// <param name="rbfOutput">True for the paper's Euclidean RBF output; false for a dense layer (logits for softmax).</param>
    public static Sequential LeNet5Classic(int classes = 10, bool rbfOutput = false) => new(
        new Conv2D(6, 5, padding: 2) { Name = "C1" },
        new ScaledTanh(),
        new Subsampling(2) { Name = "S2" },
        new Sigmoid(),
        new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5) { Name = "C3" },
        new ScaledTanh(),
        new Subsampling(2) { Name = "S4" },
        new Sigmoid(),
        new Conv2D(120, 5) { Name = "C5" },
        new ScaledTanh(),
        new Flatten(),
        new Dense(84, new FanInUniform(), new FanInUniform()) { Name = "F6" },
        new ScaledTanh(),
        rbfOutput ? new RbfOutput(classes) { Name = "OUTPUT" } : new Dense(classes, new FanInUniform(), new FanInUniform()) { Name = "OUTPUT" })
    {
        Name = "LeNet5Classic",
    };

    /// <summary>
    /// LeNet-5 as it is trained today (the PyTorch yardstick's network): conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5,
    /// ReLU, max-pool 2, dense 120, ReLU, dense 84, ReLU, dense <paramref name="classes"/>; optionally batch
    /// normalisation after each convolution and dropout before the output, as the yardstick's LeNet+BN. Weights are
    /// initialised as PyTorch does (U(±1/√fan-in)).
    /// </summary>
    public static Sequential LeNet5(int classes = 10, bool batchNorm = false, float keepProbability = 1f)
    {
        var net = new Sequential { Name = batchNorm ? "LeNet5-BN" : "LeNet5" };
        net.Add(new Conv2D(6, 5, padding: 2));
        AddNormalised(net, batchNorm);
        net.Add(new MaxPool2D(2));
        net.Add(new Conv2D(16, 5));
        AddNormalised(net, batchNorm);
        net.Add(new MaxPool2D(2));
        net.Add(new Flatten());
        net.Add(new Dense(120, new FanInUniform(), new FanInUniform()));
        net.Add(new ReLU());
        net.Add(new Dense(84, new FanInUniform(), new FanInUniform()));
        net.Add(new ReLU());
        if (keepProbability < 1f)
        {
            net.Add(new Dropout(keepProbability));
        }

        net.Add(new Dense(classes, new FanInUniform(), new FanInUniform()));
        return net;
    }

    /// <summary>
    /// AlexNet (seed 000 §2.4) for [3, 227, 227] input: conv 96@11x11/4 → 55, LRN, overlapping max-pool 3/2 → 27,
    /// conv 256@5x5 (two groups, as on the paper's two GPUs) → 27, LRN, pool → 13, conv 384@3x3 → 13, conv 384@3x3 (two
    /// groups) → 13, conv 256@3x3 (two groups) → 13, pool → 6, then dense 4096, 4096 with dropout 0.5, and the output:
    /// 60,965,224 parameters for 1000 classes.
    /// </summary>
    /// <param name="classes">Output units.</param>
    /// <param name="inputSize">
    /// 227 (the side the paper's layer sizes work out from) or 224 (the side the paper states, and the crop size of its
    /// 256 → 224 augmentation): the first convolution then pads 2 pixels, as torchvision's AlexNet does, and every
    /// later shape and the parameter count are the same.
    /// </param>
    public static Sequential AlexNet(int classes = 1000, int inputSize = 227) => new(
        new Conv2D(96, 11, stride: 4, padding: inputSize switch
        {
            227 => 0,
            224 => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "AlexNet takes 227x227 or 224x224 images."),
        }, weightInitializer: new KaimingNormal()), new ReLU(), new LocalResponseNormalization(), new MaxPool2D(3, 2),
        new Conv2D(256, 5, padding: 2, groups: 2, weightInitializer: new KaimingNormal()), new ReLU(), new LocalResponseNormalization(), new MaxPool2D(3, 2),
        new Conv2D(384, 3, padding: 1, weightInitializer: new KaimingNormal()), new ReLU(),
        new Conv2D(384, 3, padding: 1, groups: 2, weightInitializer: new KaimingNormal()), new ReLU(),
        new Conv2D(256, 3, padding: 1, groups: 2, weightInitializer: new KaimingNormal()), new ReLU(), new MaxPool2D(3, 2),
        new Flatten(),
        new Dense(4096, new KaimingNormal()), new ReLU(), new Dropout(0.5f),
        new Dense(4096, new KaimingNormal()), new ReLU(), new Dropout(0.5f),
        new Dense(classes))
    {
        Name = "AlexNet",
    };

    /// <summary>VGG-16 (seed 000 §2.5): thirteen 3x3 convolutions in five blocks with 2x2 max-pooling, then dense 4096, 4096 and the output: 138,357,544 parameters for 1000 classes on [3, 224, 224].</summary>
    public static Sequential Vgg16(int classes = 1000) => Vgg([64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0], classes, "VGG16");

    /// <summary>VGG-11 (configuration A): eight 3x3 convolutions, 132,863,336 parameters for 1000 classes on [3, 224, 224].</summary>
    public static Sequential Vgg11(int classes = 1000) => Vgg([64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], classes, "VGG11");

    /// <summary>
    /// ResNet-18 (seed 001, seed 004 §4.5): basic residual blocks [2, 2, 2, 2] with 64–512 channels, batch norm, global
    /// average pooling; layer for layer torchvision's <c>resnet18</c> (its stem pools 3x3/2 with padding 1), 11,689,512
    /// parameters for 1000 classes.
    /// </summary>
    /// <param name="classes">Output units.</param>
    /// <param name="inputSize">The input's side (224 for ImageNet), which fixes the final average pool.</param>
    public static Sequential ResNet18(int classes = 1000, int inputSize = 224) => ResNet([2, 2, 2, 2], classes, inputSize, "ResNet18");

    /// <summary>ResNet-34: basic residual blocks [3, 4, 6, 3].</summary>
    /// <param name="classes">Output units.</param>
    /// <param name="inputSize">The input's side (224 for ImageNet), which fixes the final average pool.</param>
    public static Sequential ResNet34(int classes = 1000, int inputSize = 224) => ResNet([3, 4, 6, 3], classes, inputSize, "ResNet34");

    /// <summary>
    /// The basic block of ResNet: conv3x3(stride)–BN–ReLU–conv3x3–BN on the main path, the identity (or a 1x1
    /// convolution with BN when the stride or the channel count changes) on the shortcut, then a[l+2] = ReLU(z + a[l]).
    /// </summary>
    public static Graph BasicBlock(int inChannels, int outChannels, int stride = 1)
    {
        var main = new Sequential(
            new Conv2D(outChannels, 3, stride: stride, padding: 1, useBias: false, weightInitializer: new KaimingNormal()),
            new BatchNormalization(),
            new ReLU(),
            new Conv2D(outChannels, 3, padding: 1, useBias: false, weightInitializer: new KaimingNormal()),
            new BatchNormalization());
        Layer? shortcut = stride != 1 || inChannels != outChannels
            ? new Sequential(new Conv2D(outChannels, 1, stride: stride, useBias: false, weightInitializer: new KaimingNormal()), new BatchNormalization())
            : null;
        return ResidualBlock.Create(main, shortcut, new ReLU());
    }

    /// <summary>
    /// An Inception module (seed 001): four parallel branches concatenated on channels — 1x1; 1x1 bottleneck then 3x3;
    /// 1x1 bottleneck then 5x5; 3x3 max-pool (stride 1, same) then 1x1 — each convolution followed by ReLU.
    /// </summary>
    public static Graph InceptionModule(int ones, int reduce3, int threes, int reduce5, int fives, int poolProjection) =>
        InceptionBlock.Create(
            new Sequential(new Conv2D(ones, 1), new ReLU()),
            new Sequential(new Conv2D(reduce3, 1), new ReLU(), new Conv2D(threes, 3, padding: Padding.Same), new ReLU()),
            new Sequential(new Conv2D(reduce5, 1), new ReLU(), new Conv2D(fives, 5, padding: Padding.Same), new ReLU()),
            new Sequential(new MaxPool2D(3, 1, same: true), new Conv2D(poolProjection, 1), new ReLU()));

    /// <summary>
    /// A small GoogLeNet-style network for 28x28 or 32x32 images: a 3x3 stem, two Inception modules (the channel counts
    /// of GoogLeNet's 3a scaled down), max-pooling between them, global average pooling and a dense output.
    /// </summary>
    public static Sequential SmallInception(int classes = 10, int inputSize = 28) => new(
        new Conv2D(32, 3, padding: 1), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
        InceptionModule(16, 24, 32, 4, 8, 8),
        new MaxPool2D(2),
        InceptionModule(32, 32, 48, 8, 24, 16),
        new AvgPool2D(inputSize / 4),
        new Flatten(),
        new Dense(classes))
    {
        Name = "SmallInception",
    };

    /// <summary>
    /// A small convolutional network for CIFAR-sized colour images (the network of the AlexNet-style recipe on
    /// <c>ColorShapes</c>): three blocks of conv 3x3 same (no bias, Kaiming normal) → batch norm → ReLU → max-pool 2, with
    /// <paramref name="width"/>, 2·width and 4·width filters, then flatten and a dense output (optionally after dropout).
    /// On [3, 32, 32] the features entering the dense layer are 4·width × 4 × 4; with width 8 and 10 classes the network
    /// has 11,218 parameters (batch norm's γ and β included) and 112 running statistics.
    /// </summary>
    /// <param name="classes">Output units.</param>
    /// <param name="width">The first block's filter count; the second and third blocks have twice and four times as many.</param>
    /// <param name="keepProbability">Below 1, dropout with this keep probability before the output layer.</param>
    public static Sequential SmallConvNet(int classes = 10, int width = 8, float keepProbability = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var net = new Sequential { Name = "SmallConvNet" };
        foreach (var filters in new[] { width, 2 * width, 4 * width })
        {
            net.Add(new Conv2D(filters, 3, padding: 1, useBias: false, weightInitializer: new KaimingNormal()));
            net.Add(new BatchNormalization());
            net.Add(new ReLU());
            net.Add(new MaxPool2D(2));
        }

        net.Add(new Flatten());
        if (keepProbability < 1f)
        {
            net.Add(new Dropout(keepProbability));
        }

        net.Add(new Dense(classes));
        return net;
    }

    private static void AddNormalised(Sequential net, bool batchNorm)
    {
        if (batchNorm)
        {
            net.Add(new BatchNormalization());
        }

        net.Add(new ReLU());
    }

    private static Sequential Vgg(int[] configuration, int classes, string name)
    {
        var net = new Sequential { Name = name };
        foreach (var channels in configuration)
        {
            if (channels == 0)
            {
                net.Add(new MaxPool2D(2));
            }
            else
            {
                net.Add(new Conv2D(channels, 3, padding: 1, weightInitializer: new KaimingNormal()));
                net.Add(new ReLU());
            }
        }

        net.Add(new Flatten());
        net.Add(new Dense(4096, new KaimingNormal()));
        net.Add(new ReLU());
        net.Add(new Dropout(0.5f));
        net.Add(new Dense(4096, new KaimingNormal()));
        net.Add(new ReLU());
        net.Add(new Dropout(0.5f));
        net.Add(new Dense(classes));
        return net;
    }

    private static Sequential ResNet(int[] blocks, int classes, int inputSize, string name)
    {
        var net = new Sequential { Name = name };
        net.Add(new Conv2D(64, 7, stride: 2, padding: 3, useBias: false, weightInitializer: new KaimingNormal()));
        net.Add(new BatchNormalization());
        net.Add(new ReLU());
        // torchvision's stem, MaxPool2d(3, 2, padding=1): the same 56x56 output at 224 as TensorFlow's "same", but windows
        // centred as PyTorch's, so that imported torchvision weights give torchvision's outputs.
        net.Add(new MaxPool2D(3, 2, padding: 1));
        var channels = 64;
        for (var stage = 0; stage < blocks.Length; stage++)
        {
            var width = 64 << stage;
            for (var b = 0; b < blocks[stage]; b++)
            {
                net.Add(BasicBlock(channels, width, stride: stage > 0 && b == 0 ? 2 : 1));
                channels = width;
            }
        }

        // 224 → 112 (conv) → 56 (pool) → 56, 28, 14, 7 (stages).
        var final = (int)Math.Ceiling(inputSize / 32.0);
        net.Add(new AvgPool2D(final));
        net.Add(new Flatten());
        net.Add(new Dense(classes));
        return net;
    }
}
