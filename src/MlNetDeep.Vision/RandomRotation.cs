namespace MlNetDeep.Vision;

/// <summary>Random rotation about the image centre by an angle uniform in [−max, max] degrees, bilinear; corners get <see cref="Fill"/>.</summary>
public sealed class RandomRotation : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="maxDegrees">The largest rotation in degrees.</param>
    /// <param name="fill">The value of pixels rotated in from outside.</param>
    public RandomRotation(double maxDegrees, float fill = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDegrees);
        MaxDegrees = maxDegrees;
        Fill = fill;
    }

    /// <summary>The largest rotation in degrees.</summary>
    public double MaxDegrees { get; }

    /// <summary>The value of uncovered pixels.</summary>
    public float Fill { get; }

    /// <summary>Rotates the image content by <paramref name="degrees"/> (counter-clockwise as displayed, y down).</summary>
    public void Rotate(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, double degrees)
    {
        var t = degrees * Math.PI / 180;
        var (cos, sin) = (Math.Cos(t), Math.Sin(t));
        AffineSampler.Warp(source, destination, input, cos, -sin, sin, cos, 0, 0, Fill);
    }

    /// <inheritdoc />
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random)
    {
        var t = Uniform(random, -MaxDegrees, MaxDegrees) * Math.PI / 180;
        var (cos, sin) = (Math.Cos(t), Math.Sin(t));
        return PixelMap.FromCentredSampling(cos, -sin, sin, cos, 0, 0, input.Height, input.Width);
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random) =>
        Rotate(source, destination, input, Uniform(random, -MaxDegrees, MaxDegrees));
}
