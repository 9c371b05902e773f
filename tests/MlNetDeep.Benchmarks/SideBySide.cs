using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The PyTorch yardstick's own protocol (../shared/yardstick/yardstick.py), run on MlNetDeep so the two can be
/// alternated in one session: 30 warm-up steps, then 7 timed rounds of 100 training steps (batch 64) and
/// 20 inference batches (batch 256), and 2,000 batch-1 calls; medians printed as one JSON object a line.
/// </summary>
public static class SideBySide
{
    public static int Run(string[] args)
    {
        foreach (var model in args.Length > 0 ? args : ["mlp", "lenet", "lenet_bn"])
        {
            if (model is "vgg16" or "resnet18")
            {
                LargeStep(model);
            }
            else if (model == "augment")
            {
                Augment();
            }
            else
            {
                Measure(model);
            }
        }

        return 0;
    }

    private static void Measure(string model)
    {
        var fixture = new MnistFixture(model);
        for (var i = 0; i < 30; i++)
        {
            fixture.TrainStep(i);
        }

        var rates = new List<double>();
        for (var s = 0; s < 7; s++)
        {
            var t = Stopwatch.StartNew();
            for (var i = 0; i < 100; i++)
            {
                fixture.TrainStep((s * 100) + i);
            }

            rates.Add(100 * fixture.Batch / t.Elapsed.TotalSeconds);
        }

        Emit(model, "train_b64_img_per_s", rates);

        var net = fixture.Network;
        var x = fixture.Features;
        var batch = new Tensor(256, 1, 28, 28);
        for (var i = 0; i < 5; i++)
        {
            net.Forward(batch, training: false);
        }

        rates.Clear();
        for (var s = 0; s < 7; s++)
        {
            var t = Stopwatch.StartNew();
            for (var k = 0; k < 20; k++)
            {
                var o = ((s * 20) + k) % (x.Rows / 256) * 256;
                x.Data.AsSpan(o * 784, 256 * 784).CopyTo(batch.Span);
                net.Forward(batch, training: false);
            }

            rates.Add(20 * 256 / t.Elapsed.TotalSeconds);
        }

        Emit(model, "infer_b256_img_per_s", rates);

        var one = new Tensor(1, 1, 28, 28);
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
            $"{{\"model\": \"{model}\", \"measure\": \"latency_b1_us\", \"median\": {Median(latencies):F2}, \"p99\": {latencies[(int)(0.99 * (latencies.Count - 1))]:F2}, \"engine\": \"mlnetdeep\", \"threads\": {Environment.ProcessorCount}}}"));
    }

    /// <summary>One training step (forward, softmax cross-entropy, backward, SGD with momentum) at batch 8 on 224x224 images: 1 warm-up, median of 3.</summary>
    private static void LargeStep(string model)
    {
        var net = model == "vgg16" ? MlNetDeep.Models.Architectures.Vgg16() : MlNetDeep.Models.Architectures.ResNet18();
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
        var loss = new MlNetDeep.Losses.SoftmaxCrossEntropy();
        var optimizer = new MlNetDeep.Optimizers.Momentum(0.01f, 0.9f) { Form = MlNetDeep.Optimizers.MomentumForm.Classical };
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
            $"{{\"model\": \"{model}\", \"measure\": \"train_step_b8_224_s\", \"median\": {Median(seconds):F3}, \"min\": {seconds.Min():F3}, \"max\": {seconds.Max():F3}, \"engine\": \"mlnetdeep\", \"threads\": {Environment.ProcessorCount}}}"));
    }

    /// <summary>
    /// AlexNet's augmentation (<see cref="AugmentationFixture"/>) at batch 64 with the worker pool on 2 threads, then 1
    /// (then the same with the steps run one after another, unfused): half a second of warm-up batches, 7 timed rounds of
    /// 10 batches, median images/s (pytorch_augment.py is the PyTorch side).
    /// </summary>
    private static void Augment()
    {
        var saved = MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism;
        try
        {
            foreach (var (threads, fused) in new[] { (2, true), (1, true), (2, false), (1, false) })
            {
                var fixture = new AugmentationFixture(64, fused);
                MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism = threads;
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

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"model\": \"alexnet_augment\", \"measure\": \"{(fused ? "" : "unfused_")}crop224_mirror_pca_b64_img_per_s\", \"median\": {Median(rates):F1}, \"min\": {rates.Min():F1}, \"max\": {rates.Max():F1}, \"engine\": \"mlnetdeep\", \"threads\": {threads}}}"));
            }
        }
        finally
        {
            MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    private static void Emit(string model, string measure, List<double> values) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{model}\", \"measure\": \"{measure}\", \"median\": {Median(values):F1}, \"min\": {values.Min():F1}, \"max\": {values.Max():F1}, \"engine\": \"mlnetdeep\", \"threads\": {Environment.ProcessorCount}}}"));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
