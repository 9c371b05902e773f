using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// One training step of a small U-Net (depth 3, 16 filters, batch norm; 4 classes) at batch 8 on 128×128 images:
/// forward, per-pixel softmax cross-entropy, backward, Adam. 1 warm-up step, then the median of 5.
/// The PyTorch side is <c>pytorch_unet_step.py</c>, the same network layer for layer.
/// <code>dotnet run -c Release --project tests/MlNetDeep.Benchmarks -- yardstick unetstep</code>
/// </summary>
internal static class UNetStep
{
    public static int Run()
    {
        const int batch = 8, size = 128, classes = 4;
        var net = SegmentationArchitectures.UNet(classes, depth: 3, filters: 16);
        net.Build([3, size, size], new RandomSource(0));
        var random = new RandomSource(1);
        var x = new Tensor(batch, 3, size, size);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        var y = new Tensor(batch, size, size);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = random.NextInt(classes);
        }

        var loss = new PixelSoftmaxCrossEntropy();
        var optimizer = new Adam(1e-3f);
        var parameters = net.Parameters;
        Tensor? gradient = null;
        var seconds = new List<double>();
        for (var step = 0; step < 6; step++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in parameters)
            {
                p.Gradient.Clear();
            }

            var output = net.Forward(x, training: true);
            Tensor.Ensure(ref gradient, batch, output.Shape[1..]);
            loss.Compute(output, y, gradient);
            net.Backward(gradient!);
            optimizer.Step(parameters);
            if (step > 0)
            {
                seconds.Add(clock.Elapsed.TotalSeconds);
            }
        }

        seconds.Sort();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"model\": \"unet3-16\", \"measure\": \"train_step_b8_128_s\", \"median\": {seconds[seconds.Count / 2]:F4}, \"min\": {seconds[0]:F4}, \"max\": {seconds[^1]:F4}, \"engine\": \"mlnetdeep\", \"threads\": {Environment.ProcessorCount}}}"));
        return 0;
    }
}
