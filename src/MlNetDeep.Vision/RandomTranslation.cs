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
    public void Translate(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, int shiftX, int shiftY)
    {
        // Whole-pixel shifts sample exactly on the grid, so rows are copied (what bilinear sampling would give).
        var (h, w) = (input.Height, input.Width);
        if (source.Length < input.Length || destination.Length < input.Length)
        {
            throw new ArgumentException($"The source and destination must hold an image of shape {input}.", nameof(destination));
        }

        // Output columns [x0, x1) read input columns [x0 − shiftX, x1 − shiftX); the rest are filled.
        var x0 = Math.Clamp(shiftX, 0, w);
        var x1 = Math.Clamp(w + shiftX, 0, w);
        for (var c = 0; c < input.Channels; c++)
        {
            var plane = c * input.PlaneLength;
            for (var y = 0; y < h; y++)
            {
                var to = destination.Slice(plane + (y * w), w);
                var sy = y - shiftY;
                if ((uint)sy >= (uint)h || x0 >= x1)
                {
                    to.Fill(Fill);
                    continue;
                }

                to[..x0].Fill(Fill);
                source.Slice(plane + (sy * w) + x0 - shiftX, x1 - x0).CopyTo(to[x0..x1]);
                to[x1..].Fill(Fill);
            }
        }
    }

    /// <inheritdoc />
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random)
    {
        var (shiftX, shiftY) = Draw(random);
        return PixelMap.Translation(shiftX, shiftY, input.Height, input.Width, input.Height, input.Width);
    }

    private (int X, int Y) Draw(RandomSource random)
    {
        var shiftX = random.NextInt((2 * MaxShiftX) + 1) - MaxShiftX;
        var shiftY = random.NextInt((2 * MaxShiftY) + 1) - MaxShiftY;
        return (shiftX, shiftY);
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        var (shiftX, shiftY) = Draw(random);
        Translate(source, destination, input, shiftX, shiftY);
    }
}
