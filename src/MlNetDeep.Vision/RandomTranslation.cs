namespace MlNetDeep.Vision;

/// <summary>Random translation by whole pixels: shifts uniform in [−max, max] per axis; uncovered pixels get <see cref="Fill"/>.</summary>
public sealed class RandomTranslation : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="maxShiftX">The largest horizontal shift in pixels.</param>
    /// <param name="maxShiftY">The largest vertical shift in pixels.</param>
    /// <param name="fill">The value of pixels shifted in from outside.</param>
    public RandomTranslation(int maxShiftX, int maxShiftY, float fill = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxShiftX);
        ArgumentOutOfRangeException.ThrowIfNegative(maxShiftY);
        MaxShiftX = maxShiftX;
        MaxShiftY = maxShiftY;
        Fill = fill;
    }

    /// <summary>The largest horizontal shift.</summary>
    public int MaxShiftX { get; }

    /// <summary>The largest vertical shift.</summary>
    public int MaxShiftY { get; }

    /// <summary>The value of uncovered pixels.</summary>
    public float Fill { get; }

    /// <summary>Shifts the image content by (<paramref name="shiftX"/>, <paramref name="shiftY"/>) pixels (positive: right, down).</summary>
    public void Translate(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, int shiftX, int shiftY) =>
        AffineSampler.Warp(source, destination, input, 1, 0, 0, 1, -shiftX, -shiftY, Fill);

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        var shiftX = random.NextInt((2 * MaxShiftX) + 1) - MaxShiftX;
        var shiftY = random.NextInt((2 * MaxShiftY) + 1) - MaxShiftY;
        Translate(source, destination, input, shiftX, shiftY);
    }
}
