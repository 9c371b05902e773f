using MlNetDeep.Tensors;

namespace MlNetDeep.Tests;

/// <summary>Small deterministic inputs for tests.</summary>
internal static class TestData
{
    public static Tensor Random(ulong seed, params int[] shape)
    {
        var r = new RandomSource(seed);
        var t = new Tensor(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = (float)r.NextGaussian();
        }

        return t;
    }

    public static Tensor Labels(ulong seed, int rows, int classes)
    {
        var r = new RandomSource(seed);
        var t = new Tensor(rows);
        for (var i = 0; i < rows; i++)
        {
            t[i] = r.NextInt(classes);
        }

        return t;
    }

    public static Tensor Uniform(ulong seed, float low, float high, params int[] shape)
    {
        var r = new RandomSource(seed);
        var t = new Tensor(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = low + ((high - low) * r.NextFloat());
        }

        return t;
    }
}
