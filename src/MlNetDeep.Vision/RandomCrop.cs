namespace MlNetDeep.Vision;

/// <summary>
/// Random crop of a fixed size: while training the top-left corner is uniform over all positions that keep the
/// crop inside the image (AlexNet: 224 × 224 out of 256 × 256, 33 × 33 positions); when scoring, the centre crop.
/// </summary>
public sealed class RandomCrop : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="height">The crop's height.</param>
    /// <param name="width">The crop's width.</param>
    public RandomCrop(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    /// <summary>The crop's height.</summary>
    public int Height { get; }

    /// <summary>The crop's width.</summary>
    public int Width { get; }

    /// <summary>AlexNet's recipe (seed 000 §2.4): random 224 × 224 crops of 256 × 256 images.</summary>
    public static RandomCrop AlexNet() => new(224, 224);

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input)
    {
        if (input.Height < Height || input.Width < Width)
        {
            throw new ArgumentException($"A {Height} × {Width} crop does not fit an image of shape {input}.", nameof(input));
        }

        return input with { Height = Height, Width = Width };
    }

    /// <summary>The crop's top-left corner for this context and mode (the centre crop's when not random).</summary>
    public (int Top, int Left) Offset(ImageShape input, AugmentationContext context, bool training)
    {
        OutputShape(input);
        return IsRandom(training) ? Draw(input, CreateRandom(context)) : Centre(input);
    }

    /// <summary>Copies the <see cref="Height"/> × <see cref="Width"/> window at (<paramref name="top"/>, <paramref name="left"/>).</summary>
    public void Crop(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, int top, int left)
    {
        if (top < 0 || left < 0 || top + Height > input.Height || left + Width > input.Width)
        {
            throw new ArgumentOutOfRangeException(nameof(top), $"The window at ({top}, {left}) leaves the image {input}.");
        }

        for (var c = 0; c < input.Channels; c++)
        {
            for (var y = 0; y < Height; y++)
            {
                source.Slice((c * input.PlaneLength) + ((top + y) * input.Width) + left, Width)
                    .CopyTo(destination.Slice(((c * Height) + y) * Width, Width));
            }
        }
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        var (top, left) = Draw(input, random);
        Crop(source, destination, input, top, left);
    }

    /// <inheritdoc />
    protected override void ApplyScoring(ReadOnlySpan<float> source, Span<float> destination, ImageShape input)
    {
        var (top, left) = Centre(input);
        Crop(source, destination, input, top, left);
    }

    /// <inheritdoc />
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random)
    {
        var (top, left) = Draw(input, random);
        return PixelMap.Translation(-left, -top, input.Height, input.Width, Height, Width);
    }

    /// <inheritdoc />
    protected override PixelMap? MapScoring(ImageShape input, ImageShape output)
    {
        var (top, left) = Centre(input);
        return PixelMap.Translation(-left, -top, input.Height, input.Width, Height, Width);
    }

    internal (int Top, int Left) Draw(ImageShape input, RandomSource random) =>
        (random.NextInt(input.Height - Height + 1), random.NextInt(input.Width - Width + 1));

    internal (int Top, int Left) Centre(ImageShape input) => ((input.Height - Height) / 2, (input.Width - Width) / 2);
}
