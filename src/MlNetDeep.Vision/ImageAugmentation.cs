namespace MlNetDeep.Vision;

/// <summary>
/// A transform of one CHW float image. Random steps derive their draws from an
/// <see cref="AugmentationContext"/> and are random only while training (see <see cref="RandomImageAugmentation"/>);
/// deterministic steps (normalisation) ignore the context.
/// </summary>
public abstract class ImageAugmentation
{
    /// <summary>The shape this step produces from an image of shape <paramref name="input"/>.</summary>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>
    /// Transforms <paramref name="source"/> (shape <paramref name="input"/>) into <paramref name="destination"/>
    /// (shape <see cref="OutputShape"/>). The two spans must not overlap.
    /// </summary>
    /// <param name="source">The input image, CHW.</param>
    /// <param name="destination">Receives the output image, CHW.</param>
    /// <param name="input">The input's shape.</param>
    /// <param name="context">The seed, epoch and row the randomness derives from.</param>
    /// <param name="training">True while a network trains; false when scoring.</param>
    public abstract void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training);

    /// <summary>Transforms one image into a new array.</summary>
    public float[] Apply(ReadOnlySpan<float> source, ImageShape input, AugmentationContext context, bool training)
    {
        var result = new float[OutputShape(input).Length];
        Apply(source, result, input, context, training);
        return result;
    }

    /// <summary>Transforms every row of an image tensor <c>[N, C, H, W]</c>; row <c>r</c> uses context (seed, epoch, <paramref name="firstRow"/> + r).</summary>
    public Tensor Apply(Tensor images, ulong seed, int epoch, bool training, long firstRow = 0)
    {
        var input = ImageShape.Of(images);
        var output = OutputShape(input);
        var result = new Tensor(images.Rows, output.Channels, output.Height, output.Width);
        for (var r = 0; r < images.Rows; r++)
        {
            Apply(images.Row(r), result.Row(r), input, new AugmentationContext(seed, epoch, firstRow + r), training);
        }

        return result;
    }

    /// <summary>Checks the spans' lengths against the shapes and that they do not overlap.</summary>
    protected void CheckArguments(ReadOnlySpan<float> source, Span<float> destination, ImageShape input)
    {
        input.Validate();
        var output = OutputShape(input);
        if (source.Length != input.Length)
        {
            throw new ArgumentException($"The source holds {source.Length} floats; shape {input} needs {input.Length}.", nameof(source));
        }

        if (destination.Length != output.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; shape {output} needs {output.Length}.", nameof(destination));
        }

        if (source.Overlaps(destination))
        {
            throw new ArgumentException("The source and destination must not overlap.", nameof(destination));
        }
    }
}
