namespace MlNetDeep.Vision;

/// <summary>Random mirroring: flips left–right with one probability and top–bottom with another.</summary>
public sealed class RandomMirror : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="horizontalProbability">Probability of a left–right flip (AlexNet: 0.5).</param>
    /// <param name="verticalProbability">Probability of a top–bottom flip (0 for natural photos).</param>
    public RandomMirror(double horizontalProbability = 0.5, double verticalProbability = 0)
    {
        HorizontalProbability = CheckProbability(horizontalProbability, nameof(horizontalProbability));
        VerticalProbability = CheckProbability(verticalProbability, nameof(verticalProbability));
    }

    /// <summary>Probability of a left–right flip.</summary>
    public double HorizontalProbability { get; }

    /// <summary>Probability of a top–bottom flip.</summary>
    public double VerticalProbability { get; }

    /// <summary>Mirrors <paramref name="source"/> into <paramref name="destination"/> as asked (both, one or neither axis).</summary>
    public static void Mirror(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, bool horizontal, bool vertical)
    {
        var (h, w) = (shape.Height, shape.Width);
        if (!horizontal && !vertical)
        {
            source[..shape.Length].CopyTo(destination);
            return;
        }

        for (var c = 0; c < shape.Channels; c++)
        {
            var plane = c * shape.PlaneLength;
            for (var y = 0; y < h; y++)
            {
                var from = source.Slice(plane + ((vertical ? h - 1 - y : y) * w), w);
                var to = destination.Slice(plane + (y * w), w);
                if (horizontal)
                {
                    ImageKernels.ReverseCopy(from, to);
                }
                else
                {
                    from.CopyTo(to);
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        var (horizontal, vertical) = Draw(random);
        Mirror(source, destination, input, horizontal, vertical);
    }

    /// <inheritdoc />
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random)
    {
        var (horizontal, vertical) = Draw(random);
        var (h, w) = (input.Height, input.Width);
        return new PixelMap(horizontal ? -1 : 1, 0, horizontal ? w - 1 : 0, 0, vertical ? -1 : 1, vertical ? h - 1 : 0, h, w, h, w);
    }

    /// <summary>Whether to flip left–right and top–bottom, from the generator's next two draws.</summary>
    internal (bool Horizontal, bool Vertical) Draw(RandomSource random)
    {
        var horizontal = random.NextDouble() < HorizontalProbability;
        var vertical = random.NextDouble() < VerticalProbability;
        return (horizontal, vertical);
    }

    internal static double CheckProbability(double p, string name) =>
        p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(name, p, "A probability must lie in [0, 1].");
}
