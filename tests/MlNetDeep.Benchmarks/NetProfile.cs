using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Where a training step of one of <see cref="VisionWorkloads"/>' networks spends its time: each top-level layer's forward
/// and backward timed separately (fusions between layers are skipped), averaged over 10 steps after a warm-up of at least 3 steps and a second.
/// With <c>--infer</c>, inference forward passes only (no backward). A development aid:
/// <c>yardstick netprofile resnet18-cifar [--batch 64] [--threads 2] [--infer]</c>.
/// </summary>
public static class NetProfile
{
    /// <summary>Prints one line per layer and a total.</summary>
    public static void Run(string name, IReadOnlyList<string> options)
    {
        var batch = 64;
        var threads = 2;
        var infer = options.Contains("--infer");
        for (var i = 0; i + 1 < options.Count; i++)
        {
            if (options[i] == "--batch")
            {
                batch = int.Parse(options[i + 1], CultureInfo.InvariantCulture);
            }
            else if (options[i] == "--threads")
            {
                threads = int.Parse(options[i + 1], CultureInfo.InvariantCulture);
            }
        }

        Kernels.WorkerPool.MaxDegreeOfParallelism = threads;
        var (net, shape, classes) = VisionWorkloads.Create(name);
        net.Build(shape, new RandomSource(0));
        net.ComputeInputGradient = false;
        var layers = net.Layers;
        layers[0].ComputeInputGradient = false;
        var x = new Tensor([batch, .. shape]);
        var random = new RandomSource(1);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        var y = new Tensor(batch);
        var grad = new Tensor(batch, classes);
        var loss = new SoftmaxCrossEntropy();
        var forward = new double[layers.Count];
        var backward = new double[layers.Count];
        // Warm-up: at least 3 steps and a second, so that the timed steps run the JIT's optimised code.
        var warmUp = Stopwatch.StartNew();
        var warmSteps = 0;
        for (var step = 0; ; step++)
        {
            var timed = warmSteps > 0;
            if (!timed && step >= 3 && warmUp.Elapsed.TotalSeconds >= 1)
            {
                warmSteps = step;
                timed = true;
            }

            if (timed && step - warmSteps >= 10)
            {
                break;
            }

            var h = x;
            for (var i = 0; i < layers.Count; i++)
            {
                var t = Stopwatch.GetTimestamp();
                h = layers[i].Forward(h, !infer);
                forward[i] += timed ? Stopwatch.GetElapsedTime(t).TotalMilliseconds : 0;
            }

            if (infer)
            {
                continue;
            }

            loss.Compute(h, y, grad);
            var g = grad;
            for (var i = layers.Count - 1; i >= 0; i--)
            {
                var t = Stopwatch.GetTimestamp();
                g = layers[i].Backward(g);
                backward[i] += timed ? Stopwatch.GetElapsedTime(t).TotalMilliseconds : 0;
            }
        }

        var total = forward.Sum() + backward.Sum();
        for (var i = 0; i < layers.Count; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i,3} {layers[i].GetType().Name,-20} {Tensor.Format(layers[i].OutputShape),-16} fwd {forward[i] / 10,8:F3} ms  bwd {backward[i] / 10,8:F3} ms  {100 * (forward[i] + backward[i]) / total,5:F1} %"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {total / 10:F2} ms = {batch * 10 / total * 1000:F0} img/s (forward {forward.Sum() / 10:F2} ms, backward {backward.Sum() / 10:F2} ms)"));
    }
}
