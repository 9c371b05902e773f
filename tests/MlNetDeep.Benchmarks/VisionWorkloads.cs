using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The vision networks of <see cref="Architectures"/> at their natural input sizes, on random images (the kernels' speed
/// does not depend on the values): training steps (zero-grad, forward, softmax cross-entropy, backward, SGD with classical
/// momentum 0.9) and inference batches, images/s as the median of 5 timed rounds after a warm-up of at least a second.
/// pytorch_vision.py is the PyTorch side, with the same networks and protocol. A network whose output is a map of class
/// scores (the U-Net) trains on a label per pixel with per-pixel softmax cross-entropy. Usage:
/// <c>yardstick resnet18-cifar [--batch 64] [--threads 2] [--infer-batch 256] [--train-only|--infer-only] [--no-fold]</c>.
/// </summary>
public static class VisionWorkloads
{
    /// <summary>The workloads this harness knows, in the order the table lists them.</summary>
    public static readonly string[] Names =
    [
        "inception-28", "lenet5classic-28", "resnet18-cifar", "resnet34-cifar", "smallconvnet-cifar", "vgg11-cifar", "resnet18-224",
        "vgg16-224", "alexnet-224", "unet-128", "fcn8s-128", "deeplab-128", "pspnet-128",
    ];

    /// <summary>True when <paramref name="name"/> is one of <see cref="Names"/>.</summary>
    public static bool Knows(string name) => Names.Contains(name);

    /// <summary>Runs one workload with the options that follow it on the command line.</summary>
    public static void Run(string name, IReadOnlyList<string> options)
    {
        var large = name.EndsWith("-224", StringComparison.Ordinal) || name.EndsWith("-128", StringComparison.Ordinal);
        var batch = Option(options, "--batch", large ? 8 : 64);
        var inferBatch = Option(options, "--infer-batch", large ? 8 : 256);
        var threads = Option(options, "--threads", 2);
        var saved = Kernels.WorkerPool.MaxDegreeOfParallelism;
        Kernels.WorkerPool.MaxDegreeOfParallelism = threads;

        // For before/after comparisons of the kernels: --no-fold runs every convolution sample by sample.
        ConvolutionEngine.BatchFolding = !options.Contains("--no-fold");
        try
        {
            var (net, shape, classes) = Create(name);
            net.Build(shape, new RandomSource(0));
            if (!options.Contains("--infer-only"))
            {
                Emit(name, $"train_b{batch}_img_per_s", Train(net, shape, classes, batch), threads);
            }

            if (!options.Contains("--train-only"))
            {
                Emit(name, $"infer_b{inferBatch}_img_per_s", Infer(net, shape, inferBatch), threads);
            }
        }
        finally
        {
            Kernels.WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>The network, its input shape and its class count.</summary>
    public static (Sequential Network, int[] Shape, int Classes) Create(string name) => name switch
    {
        "inception-28" => (Architectures.SmallInception(10, 28), [1, 28, 28], 10),
        "lenet5classic-28" => (Architectures.LeNet5Classic(10), [1, 28, 28], 10),
        "resnet18-cifar" => (Architectures.ResNet18(10, 32), [3, 32, 32], 10),
        "resnet34-cifar" => (Architectures.ResNet34(10, 32), [3, 32, 32], 10),
        "smallconvnet-cifar" => (Architectures.SmallConvNet(10, 32), [3, 32, 32], 10),
        "vgg11-cifar" => (VggCifar(), [3, 32, 32], 10),
        "resnet18-224" => (Architectures.ResNet18(1000, 224), [3, 224, 224], 1000),
        "vgg16-224" => (Architectures.Vgg16(1000), [3, 224, 224], 1000),
        "alexnet-224" => (Architectures.AlexNet(1000, 224), [3, 224, 224], 1000),

        // Issue 14's benchmark: a small U-Net (depth 3, 16 filters, batch norm) scoring 4 classes per pixel at 128×128.
        "unet-128" => (new Sequential(SegmentationArchitectures.UNet(4, depth: 3, filters: 16)) { Name = "UNet" }, [3, 128, 128], 4),
        "fcn8s-128" => (new Sequential(SegmentationArchitectures.Fcn(4, 8, filters: 16)) { Name = "FCN-8s" }, [3, 128, 128], 4),
        "deeplab-128" => (new Sequential(SegmentationArchitectures.DeepLab(4, 128, filters: 16)) { Name = "DeepLab" }, [3, 128, 128], 4),
        "pspnet-128" => (new Sequential(SegmentationArchitectures.PspNet(4, 128, filters: 16)) { Name = "PSPNet" }, [3, 128, 128], 4),
        _ => throw new ArgumentException($"Unknown workload '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>
    /// VGG-11 for CIFAR (the usual CIFAR variant): 3x3 convolutions 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M,
    /// each followed by batch norm and ReLU, then one dense layer 512 → 10.
    /// </summary>
    public static Sequential VggCifar()
    {
        var net = new Sequential { Name = "VGG11-CIFAR" };
        foreach (var c in new[] { 64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0 })
        {
            if (c == 0)
            {
                net.Add(new MaxPool2D(2));
                continue;
            }

            net.Add(new Conv2D(c, 3, padding: 1, useBias: false, weightInitializer: new Initializers.KaimingNormal()));
            net.Add(new BatchNormalization());
            net.Add(new Layers.Activations.ReLU());
        }

        net.Add(new Flatten());
        net.Add(new Dense(10));
        return net;
    }

    private static List<double> Train(Sequential net, int[] shape, int classes, int batch)
    {
        net.ComputeInputGradient = false;
        var parameters = net.Parameters.ToArray();
        var x = RandomImages(batch, shape, 1);

        // A class per image, or per pixel when the network scores every pixel ([classes, H, W]).
        var perPixel = net.OutputShape.Length == 3;
        var y = perPixel ? new Tensor(batch, net.OutputShape[1], net.OutputShape[2]) : new Tensor(batch);
        var random = new RandomSource(3);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = perPixel ? random.NextInt(classes) : i % classes;
        }

        var grad = new Tensor([batch, .. net.OutputShape]);
        Loss loss = perPixel ? new PixelSoftmaxCrossEntropy() : new SoftmaxCrossEntropy();
        var optimizer = new Momentum(0.01f, 0.9f) { Form = MomentumForm.Classical };
        void Step()
        {
            foreach (var p in parameters)
            {
                p.Gradient.Clear();
            }

            loss.Compute(net.Forward(x, training: true), y, grad);
            net.Backward(grad);
            optimizer.Step(parameters, optimizer.LearningRate);
        }

        return Rounds(Step, batch);
    }

    private static List<double> Infer(Sequential net, int[] shape, int batch)
    {
        var x = RandomImages(batch, shape, 2);

        // As pytorch_vision.calibrate: batch norm's running statistics taken from the data first, as in a trained network.
        for (var i = 0; i < 10; i++)
        {
            net.Forward(x, training: true);
        }

        var predictor = new BatchPredictor(net);
        return Rounds(() => predictor.Predict(x), batch);
    }

    /// <summary>Warm-up for at least a second (and 3 calls), then 5 rounds of at least 0.5 s each: images/s per round.</summary>
    private static List<double> Rounds(Action step, int batch) => SideBySide.Rounds(_ => step(), batch, warmSteps: 3, count: 5);

    private static Tensor RandomImages(int batch, int[] shape, ulong seed)
    {
        var x = new Tensor([batch, .. shape]);
        var random = new RandomSource(seed);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        return x;
    }

    private static int Option(IReadOnlyList<string> options, string name, int fallback)
    {
        for (var i = 0; i + 1 < options.Count; i++)
        {
            if (options[i] == name)
            {
                return int.Parse(options[i + 1], CultureInfo.InvariantCulture);
            }
        }

        return fallback;
    }

    private static void Emit(string model, string measure, List<double> values, int threads)
    {
        var sorted = values.Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{model}\", \"measure\": \"{measure}\", \"median\": {sorted[sorted.Length / 2]:F1}, \"min\": {sorted[0]:F1}, \"max\": {sorted[^1]:F1}, \"engine\": \"mlnetdeep\", \"threads\": {threads}}}"));
    }
}
