using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>
/// Fills a weight tensor before training (seed 004 §4.3). <c>fanIn</c> is the number of inputs of a neuron
/// (n_in, or C·kh·kw for a convolution) and <c>fanOut</c> the number of outputs it feeds.
/// </summary>
public abstract class Initializer
{
    /// <summary>Fills <paramref name="values"/>.</summary>
    public abstract void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random);

    /// <summary>Samples N(0, σ²) into <paramref name="values"/>.</summary>
    protected static void FillNormal(Span<float> values, double std, RandomSource random)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextGaussian() * std);
        }
    }

    /// <summary>Samples U(−limit, limit) into <paramref name="values"/>.</summary>
    protected static void FillUniform(Span<float> values, double limit, RandomSource random)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * limit);
        }
    }

    /// <summary>Checks that fan-in and fan-out are positive.</summary>
    protected static void CheckFans(int fanIn, int fanOut)
    {
        if (fanIn <= 0 || fanOut <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fanIn), $"Fan-in and fan-out must be positive; got {fanIn} and {fanOut}.");
        }
    }
}
