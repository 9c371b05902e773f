namespace MlNetDeep.Vision;

/// <summary>Random zoom about the image centre by a factor uniform in [min, max], bilinear, same output size; uncovered pixels get <see cref="Fill"/>.</summary>
public sealed class RandomScaling : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="minScale">The smallest factor (&lt; 1 shrinks the content).</param>
    /// <param name="maxScale">The largest factor (&gt; 1 enlarges it).</param>
    /// <param name="fill">The value of uncovered pixels.</param>
    public RandomScaling(double minScale, double maxScale, float fill = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minScale);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxScale, minScale);
        MinScale = minScale;
        MaxScale = maxScale;
        Fill = fill;
    }

    /// <summary>The smallest factor.</summary>
    public double MinScale { get; }

    /// <summary>The largest factor.</summary>
    public double MaxScale { get; }

    /// <summary>The value of uncovered pixels.</summary>
    public float Fill { get; }

    /// <summary>Scales the image content by <paramref name="factor"/> about the centre.</summary>
    public void Scale(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, double factor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        AffineSampler.Warp(source, destination, input, 1 / factor, 0, 0, 1 / factor, 0, 0, Fill);
    }

    /// <inheritdoc />
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random)
    {
        var factor = Uniform(random, MinScale, MaxScale);
        return PixelMap.FromCentredSampling(1 / factor, 0, 0, 1 / factor, 0, 0, input.Height, input.Width);
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random) =>
        Scale(source, destination, input, Uniform(random, MinScale, MaxScale));
}
