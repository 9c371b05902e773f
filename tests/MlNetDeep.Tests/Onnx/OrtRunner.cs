using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;
using Tensor = MlNetDeep.Tensors.Tensor;

namespace MlNetDeep.Tests.Onnx;

/// <summary>Runs ONNX models with ONNX Runtime and compares their outputs with ours.</summary>
internal static class OrtRunner
{
    /// <summary>Runs <paramref name="model"/> on <paramref name="input"/> (fed as <paramref name="inputName"/>) and returns every output by name.</summary>
    public static Dictionary<string, float[]> Run(byte[] model, Tensor input, string inputName = "input", int[]? feedShape = null)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(input.Span.ToArray(), feedShape ?? input.ShapeArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    /// <summary>max|a − b| / max|b|: the largest difference relative to the reference's largest magnitude.</summary>
    public static double RelativeError(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference)
    {
        Assert.That(ours.Length, Is.EqualTo(reference.Length), "output lengths");
        double diff = 0, scale = 0;
        for (var i = 0; i < ours.Length; i++)
        {
            if (!float.IsFinite(ours[i]) || !float.IsFinite(reference[i]))
            {
                Assert.Fail($"value {i}: ours {ours[i]}, reference {reference[i]}");
            }

            diff = Math.Max(diff, Math.Abs((double)ours[i] - reference[i]));
            scale = Math.Max(scale, Math.Abs((double)reference[i]));
        }

        return scale == 0 ? diff : diff / scale;
    }

    /// <summary>Gives every batch normalisation of <paramref name="network"/> non-trivial running statistics (a fresh layer's mean 0
    /// and variance 1 would hide a mix-up of the two), and returns the network.</summary>
    public static Layer WithRunningStatistics(Layer network, ulong seed)
    {
        var random = new RandomSource(seed);
        foreach (var (name, value) in network.Buffers)
        {
            var span = value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + random.NextFloat() : (random.NextFloat() - 0.5f) * 0.4f;
            }
        }

        return network;
    }

    /// <summary>Gives every γ/β-like parameter (not weights) random values too, so that the affine part of normalisation is tested.</summary>
    public static Layer WithRandomAffine(Layer network, ulong seed)
    {
        var random = new RandomSource(seed);
        foreach (var p in network.Parameters.Where(p => !p.IsWeight))
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] += (random.NextFloat() - 0.5f) * 0.5f;
            }
        }

        return network;
    }

    /// <summary>A random input batch [N, ..shape] with values in [−1, 1).</summary>
    public static Tensor Input(int rows, int[] shape, ulong seed)
    {
        var x = new Tensor([rows, .. shape]);
        var random = new RandomSource(seed);
        var span = x.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (random.NextFloat() * 2f) - 1f;
        }

        return x;
    }
}
