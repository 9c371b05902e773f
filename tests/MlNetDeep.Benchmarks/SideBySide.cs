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
            Measure(model);
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

    private static void Emit(string model, string measure, List<double> values) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{model}\", \"measure\": \"{measure}\", \"median\": {Median(values):F1}, \"min\": {values.Min():F1}, \"max\": {values.Max():F1}, \"engine\": \"mlnetdeep\", \"threads\": {Environment.ProcessorCount}}}"));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
