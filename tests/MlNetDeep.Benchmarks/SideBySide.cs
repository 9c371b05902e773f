using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// MlNetDeep's side of the side-by-side comparison with PyTorch (<c>side_by_side.py</c> runs both, alternately;
/// <c>pytorch_throughput.py</c> is PyTorch's side, with the same workloads, options and protocol). Usage:
/// <c>yardstick WORKLOAD [--threads 2] [--batch B] [--train-only|--infer-only|--latency-only] [WORKLOAD ...]</c>;
/// each measure is printed as one JSON object a line. Without a workload: mlp, lenet, lenet_bn.
/// </summary>
/// <remarks>
/// MNIST networks (mlp, lenet, lenet_bn): the yardstick's protocol on the committed training digits — training at batch
/// 64 (or --batch) and inference at 256 (through a <see cref="MlNetDeep.Training.BatchPredictor"/>), each at least a
/// second of warm-up (the JIT's final tier) then 7 rounds of at least 0.5 s (<see cref="Rounds"/>), 2,000 batch-1
/// calls; medians. The vision networks (<see cref="VisionWorkloads"/>) run on random images for a
/// fixed time per round. <c>lenet-mlnet</c> (ours only) scores 2,000 test digits through ML.NET; <c>sgemm-1024</c>
/// times one 1024³ product; <c>placement</c> measures how far apart the two cores are; <c>peak</c> the FMA peak
/// (<see cref="FmaPeak"/>).
/// </remarks>
public static class SideBySide
{
    /// <summary>The workloads besides <see cref="VisionWorkloads.Names"/>, by the name both sides use.</summary>
    private static readonly Dictionary<string, Action<YardstickOptions>> Workloads = new()
    {
        ["mlp"] = o => Mnist("mlp", o),
        ["lenet"] = o => Mnist("lenet", o),
        ["lenet_bn"] = o => Mnist("lenet_bn", o),
        ["lenet-mlnet"] = MlNetScoring.Run,
        ["sgemm-1024"] = Sgemm,
        ["placement"] = o => CorePlacement.Run(),
        ["peak"] = FmaPeak.Run,
        ["augment"] = o => Augment(),
        ["resnet18"] = o => LargeStep("resnet18"),
        ["vgg16"] = o => LargeStep("vgg16"),
    };

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            args = ["mlp", "lenet", "lenet_bn"];
        }

        var i = 0;
        while (i < args.Length)
        {
            var name = args[i++];
            var options = new List<string>();
            while (i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal))
            {
                options.Add(args[i++]);
                if (i < args.Length && !args[i].StartsWith("--", StringComparison.Ordinal) && !IsWorkload(args[i]))
                {
                    options.Add(args[i++]);
                }
            }

            if (VisionWorkloads.Knows(name))
            {
                VisionWorkloads.Run(name, options);
            }
            else if (Workloads.TryGetValue(name, out var run))
            {
                var parsed = new YardstickOptions(options);
                var saved = WorkerPool.MaxDegreeOfParallelism;
                WorkerPool.MaxDegreeOfParallelism = parsed.Threads;
                try
                {
                    run(parsed);
                }
                finally
                {
                    WorkerPool.MaxDegreeOfParallelism = saved;
                }
            }
            else
            {
                Console.Error.WriteLine($"Unknown workload '{name}'; known: {string.Join(", ", Workloads.Keys.Concat(VisionWorkloads.Names))}.");
                return 2;
            }
        }

        return 0;
    }

    private static bool IsWorkload(string name) => Workloads.ContainsKey(name) || VisionWorkloads.Knows(name);

    private static void Mnist(string model, YardstickOptions options)
    {
        var fixture = new MnistFixture(model, options.Batch ?? 64);
        if (options.Wants("train"))
        {
            var rates = Rounds(fixture.TrainStep, fixture.Batch, warmSteps: 30, count: 7);
            Emit(model, $"train_b{fixture.Batch}_img_per_s", rates, options.Threads);
        }

        var net = fixture.Network;
        var x = fixture.Features;
        if (options.Wants("infer"))
        {
            // As a user scores many rows: a BatchPredictor over the rows in place (one group of rows per core).
            var predictor = new BatchPredictor(net);
            var rates = Rounds(i => predictor.Predict(x, i % (x.Rows / 256) * 256, 256), 256, warmSteps: 5, count: 7);
            Emit(model, "infer_b256_img_per_s", rates, options.Threads);
        }

        if (options.Wants("latency"))
        {
            var one = new Tensor(1, 1, 28, 28);

            // 2 s of warm-up first: timed at once (alone, --latency-only) the calls ran the JIT's first tiers (20–28 µs a
            // call against 12.9 warm; the same figure with the JIT's tiering off). PyTorch's side has no JIT to wait for.
            var warm = Stopwatch.StartNew();
            for (var i = 0; warm.Elapsed.TotalSeconds < 2; i++)
            {
                x.Data.AsSpan(i % 2000 * 784, 784).CopyTo(one.Span);
                net.Forward(one, training: false);
            }

            var latencies = new List<double>();
            for (var i = 0; i < 2000; i++)
            {
                x.Data.AsSpan(i * 784, 784).CopyTo(one.Span);
                var t = Stopwatch.GetTimestamp();
                net.Forward(one, training: false);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }

            latencies = [.. latencies.Skip(200).Order()];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"model\": \"{model}\", \"measure\": \"latency_b1_us\", \"median\": {Median(latencies):F2}, \"p99\": {latencies[(int)(0.99 * (latencies.Count - 1))]:F2}, \"engine\": \"mlnetdeep\", \"threads\": {options.Threads}}}"));
        }
    }

    /// <summary>C = A·B for 1024×1024 matrices: 3 warm-up products, then 7 rounds of at least 0.2 s; GFLOP/s.</summary>
    private static void Sgemm(YardstickOptions options)
    {
        const int n = 1024;
        var random = new RandomSource(1);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = random.NextFloat();
            b[i] = random.NextFloat();
        }

        void Product() => Gemm.Multiply(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
        for (var i = 0; i < 3; i++)
        {
            Product();
        }

        var rates = new List<double>();
        for (var r = 0; r < 7; r++)
        {
            var t = Stopwatch.StartNew();
            var count = 0;
            while (count < 2 || t.Elapsed.TotalSeconds < 0.2)
            {
                Product();
                count++;
            }

            rates.Add(2.0 * n * n * n * count / t.Elapsed.TotalSeconds / 1e9);
        }

        Emit("sgemm-1024", "gflop_per_s", rates, options.Threads);
    }

    /// <summary>
    /// The earlier form of the 224² rows (pytorch_large_step.py is its PyTorch side): one training step (forward, softmax
    /// cross-entropy, backward, SGD with momentum) at batch 8 on 224x224 images: 1 warm-up, median of 3 seconds.
    /// </summary>
    private static void LargeStep(string model)
    {
        var net = model == "vgg16" ? Models.Architectures.Vgg16() : Models.Architectures.ResNet18();
        net.Build([3, 224, 224], new RandomSource(0));
        var parameters = net.Parameters.ToArray();
        var x = new Tensor(8, 3, 224, 224);
        var random = new RandomSource(1);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        var y = new Tensor([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 8);
        var grad = new Tensor(8, 1000);
        var loss = new Losses.SoftmaxCrossEntropy();
        var optimizer = new Optimizers.Momentum(0.01f, 0.9f) { Form = Optimizers.MomentumForm.Classical };
        net.ComputeInputGradient = false;
        var seconds = new List<double>();
        for (var step = 0; step < 4; step++)
        {
            var t = Stopwatch.StartNew();
            foreach (var p in parameters)
            {
                p.Gradient.Clear();
            }

            loss.Compute(net.Forward(x, training: true), y, grad);
            net.Backward(grad);
            optimizer.Step(parameters);
            if (step > 0)
            {
                seconds.Add(t.Elapsed.TotalSeconds);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{model}\", \"measure\": \"train_step_b8_224_s\", \"median\": {Median(seconds):F3}, \"min\": {seconds.Min():F3}, \"max\": {seconds.Max():F3}, \"engine\": \"mlnetdeep\", \"threads\": {WorkerPool.MaxDegreeOfParallelism}}}"));
    }

    /// <summary>
    /// AlexNet's augmentation (<see cref="AugmentationFixture"/>) at batch 64 with the worker pool on 2 threads, then 1
    /// (then the same with the steps run one after another, unfused): half a second of warm-up batches, 7 timed rounds of
    /// 10 batches, median images/s (pytorch_augment.py is the PyTorch side).
    /// </summary>
    private static void Augment()
    {
        foreach (var (threads, fused) in new[] { (2, true), (1, true), (2, false), (1, false) })
        {
            var fixture = new AugmentationFixture(64, fused);
            WorkerPool.MaxDegreeOfParallelism = threads;

            // Warm up for half a second (at least 10 batches): the kernels must reach their optimised JIT tier.
            var warm = Stopwatch.StartNew();
            for (var i = 0; i < 10 || warm.Elapsed.TotalSeconds < 0.5; i++)
            {
                fixture.Step();
            }

            var rates = new List<double>();
            for (var s = 0; s < 7; s++)
            {
                var t = Stopwatch.StartNew();
                for (var i = 0; i < 10; i++)
                {
                    fixture.Step();
                }

                rates.Add(10 * fixture.Batch / t.Elapsed.TotalSeconds);
            }

            Emit("alexnet_augment", $"{(fused ? "" : "unfused_")}crop224_mirror_pca_b64_img_per_s", rates, threads);
        }
    }

    /// <summary>
    /// At least a second (and <paramref name="warmSteps"/> steps) of warm-up, so the measured code is the JIT's final
    /// tier, then <paramref name="count"/> rounds of at least 0.5 s (and 2 steps): images/s per round. Step i works on the
    /// i-th batch (a step may ignore it). The MNIST and vision workloads, and PyTorch's side (pytorch_vision.rounds).
    /// </summary>
    internal static List<double> Rounds(Action<int> step, int batch, int warmSteps, int count)
    {
        var i = 0;
        var warm = Stopwatch.StartNew();
        while (i < warmSteps || warm.Elapsed.TotalSeconds < 1)
        {
            step(i++);
        }

        var rates = new List<double>();
        for (var r = 0; r < count; r++)
        {
            var t = Stopwatch.StartNew();
            var steps = 0;
            while (steps < 2 || t.Elapsed.TotalSeconds < 0.5)
            {
                step(i++);
                steps++;
            }

            rates.Add(steps * batch / t.Elapsed.TotalSeconds);
        }

        return rates;
    }

    /// <summary>Prints the median, minimum and maximum of <paramref name="values"/> as one JSON line.</summary>
    internal static void Emit(string model, string measure, List<double> values, int threads) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{model}\", \"measure\": \"{measure}\", \"median\": {Median(values):F1}, \"min\": {values.Min():F1}, \"max\": {values.Max():F1}, \"engine\": \"mlnetdeep\", \"threads\": {threads}}}"));

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
