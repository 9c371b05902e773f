namespace MlNetDeep.Vision;

/// <summary>
/// Where an augmentation's randomness comes from: the pipeline seed, the training epoch and the row.
/// The same triple always gives the same draws; a different epoch or row gives independent ones.
/// </summary>
/// <param name="Seed">The pipeline's seed.</param>
/// <param name="Epoch">The training epoch (0 when scoring or augmenting offline).</param>
/// <param name="Row">The row's index in the data set.</param>
public readonly record struct AugmentationContext(ulong Seed, int Epoch, long Row)
{
    /// <summary>
    /// A generator for this (seed, epoch, row) and the given <paramref name="stream"/> (e.g. one stream per
    /// augmentation step), derived by SplitMix64-style hashing of all four values.
    /// </summary>
    public RandomSource CreateRandom(ulong stream = 0) => new(StreamSeed(stream));

    /// <summary>The seed of the generator <see cref="CreateRandom(ulong)"/> returns, for reseeding a reused one.</summary>
    internal ulong StreamSeed(ulong stream)
    {
        var h = Mix(Seed ^ 0x6A09E667F3BCC908UL);
        h = Mix(h ^ (ulong)(uint)Epoch);
        h = Mix(h ^ (ulong)Row);
        return Mix(h ^ stream);
    }

    /// <summary>A context with the same epoch and row and a seed derived from this seed and <paramref name="salt"/>.</summary>
    public AugmentationContext Derive(ulong salt) => this with { Seed = Mix(Seed ^ Mix(salt + 0xBB67AE8584CAA73BUL)) };

    internal static ulong Mix(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    internal static ulong StableHash(string text)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            h = (h ^ c) * 0x100000001B3UL;
        }

        return h;
    }
}
