using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Every distinct convolution of ResNet-18 on 32x32 images (and of VGG-style CIFAR nets) timed alone at batch 64:
/// forward, and backward with the weight and input gradients, as GFLOP/s (2·multiply-adds per second). A development aid
/// for the kernels: <c>yardstick convprofile [--batch 64] [--threads 2]</c>.
/// </summary>
public static class ConvProfile
{
    /// <summary>(input channels, side, output channels, kernel, stride, padding).</summary>
    private static readonly (int Ci, int Side, int Co, int K, int S, int P)[] Shapes =
    [
        (3, 32, 64, 7, 2, 3),
        (64, 8, 64, 3, 1, 1),
        (64, 8, 128, 3, 2, 1),
        (64, 8, 128, 1, 2, 0),
        (128, 4, 128, 3, 1, 1),
        (128, 4, 256, 3, 2, 1),
        (128, 4, 256, 1, 2, 0),
        (256, 2, 256, 3, 1, 1),
        (256, 2, 512, 3, 2, 1),
        (256, 2, 512, 1, 2, 0),
        (512, 1, 512, 3, 1, 1),
        (3, 32, 64, 3, 1, 1),
        (64, 16, 128, 3, 1, 1),
        (128, 8, 256, 3, 1, 1),
        (256, 8, 256, 3, 1, 1),
        (256, 4, 512, 3, 1, 1),
        (512, 4, 512, 3, 1, 1),
        (64, 56, 64, 3, 1, 1),
        (128, 28, 128, 3, 1, 1),
        (256, 14, 256, 3, 1, 1),
        (512, 7, 512, 3, 1, 1),
    ];

    private static bool _cpu;
    private static bool _single;

    /// <summary>Prints one line per shape and pass.</summary>
    public static void Run(IReadOnlyList<string> options)
    {
        var batch = 64;
        var threads = 2;
        string? only = null;
        _cpu = options.Contains("--cpu");
        _single = options.Contains("--fastest");
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
            else if (options[i] == "--only")
            {
                only = options[i + 1];
            }
        }

        Kernels.WorkerPool.MaxDegreeOfParallelism = threads;
        foreach (var size in new[] { 256, 1024 })
        {
            var a = new float[size * size];
            var b = new float[size * size];
            var c = new float[size * size];
            a.AsSpan().Fill(1f);
            b.AsSpan().Fill(1f);
            var seconds = Time(() => Kernels.Gemm.Multiply(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SGEMM {size}^3 {2.0 * size * size * size / seconds / 1e9,6:F1} GF/s"));
        }

        foreach (var (ci, side, co, k, s, p) in Shapes)
        {
            var label = $"{ci}-{co} {k}x{k}/{s} p{p} {side}x{side}";
            if (only is not null && !label.Contains(only, StringComparison.Ordinal))
            {
                continue;
            }

            if (options.Contains("--ab"))
            {
                // Alternates the layer built with and without the small-output parts, best of each.
                var best = new double[2];
                best[0] = best[1] = double.MaxValue;
                for (var round = 0; round < 4; round++)
                {
                    for (var variant = 0; variant < 2; variant++)
                    {
                        ConvolutionEngine.SplitSmallOutputs = variant == 0;
                        var l = new Conv2D(co, k, stride: s, padding: p, useBias: false);
                        var os = l.Build([ci, side, side], new RandomSource(1));
                        var xi = Random([batch, ci, side, side], 2);
                        var dyi = Random([batch, .. os], 3);
                        best[variant] = Math.Min(best[variant], Time(() =>
                        {
                            l.Forward(xi, true);
                            l.Backward(dyi);
                        }));
                    }
                }

                ConvolutionEngine.SplitSmallOutputs = true;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28} parts {best[0] * 1e3:F3} ms, whole {best[1] * 1e3:F3} ms"));
                continue;
            }

            var layer = new Conv2D(co, k, stride: s, padding: p, useBias: false);
            var outShape = layer.Build([ci, side, side], new RandomSource(1));
            var x = Random([batch, ci, side, side], 2);
            var dy = Random([batch, .. outShape], 3);
            var macs = (double)batch * outShape[0] * outShape[1] * outShape[2] * ci * k * k;
            var forward = Time(() => layer.Forward(x, true));
            layer.ComputeInputGradient = false;
            var weights = Time(() =>
            {
                layer.Forward(x, true);
                layer.Backward(dy);
            }) - forward;
            layer.ComputeInputGradient = true;
            var both = Time(() =>
            {
                layer.Forward(x, true);
                layer.Backward(dy);
            }) - forward;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label,-28} fwd {forward * 1e3,8:F3} ms {2 * macs / forward / 1e9,6:F1} GF/s | dW {weights * 1e3,8:F3} ms {2 * macs / weights / 1e9,6:F1} | dW+dX {both * 1e3,8:F3} ms {4 * macs / both / 1e9,6:F1}"));
        }
    }

    /// <summary>
    /// The best of 5 rounds, in seconds per call: wall-clock time, or with --cpu the process's processor time (on a machine
    /// shared with other work, the time this process actually ran; meaningful with --threads 1).
    /// </summary>
    private static double Time(Action action)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 0.2)
        {
            action();
        }

        var process = Process.GetCurrentProcess();
        var best = double.MaxValue;
        for (var r = 0; r < 5; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var t = Stopwatch.StartNew();
            var n = 0;
            while (n < 3 || t.Elapsed.TotalSeconds < 0.1)
            {
                action();
                n++;
            }

            process.Refresh();
            var seconds = _cpu ? (process.TotalProcessorTime - cpu0).TotalSeconds : t.Elapsed.TotalSeconds;
            best = Math.Min(best, seconds / n);
        }

        if (_single)
        {
            // The fastest single call within a second: on a machine shared with other work, the calls that ran undisturbed.
            var t = Stopwatch.StartNew();
            while (t.Elapsed.TotalSeconds < 1)
            {
                var t0 = Stopwatch.GetTimestamp();
                action();
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        }

        return best;
    }

    private static Tensor Random(int[] shape, ulong seed)
    {
        var r = new RandomSource(seed);
        var t = new Tensor(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = (float)r.NextGaussian();
        }

        return t;
    }
}
