namespace MlNetDeep.Vision;

/// <summary>
/// A random augmentation: while training (or always, with <see cref="AlwaysRandom"/>) it draws from a generator
/// derived from the context; otherwise it applies its scoring transform (the identity unless overridden, e.g.
/// the centre crop of <see cref="RandomCrop"/>).
/// </summary>
public abstract class RandomImageAugmentation : ImageAugmentation
{
    // One generator per thread, reseeded for every image: the per-image path allocates nothing. A nested call (an
    // ApplyRandom that applies another random step) finds the slot empty and uses a generator of its own.
    [ThreadStatic]
    private static RandomSource? threadRandom;

    private readonly ulong _stream;

    /// <summary>Initialises the step; its random stream is named after its type.</summary>
    protected RandomImageAugmentation() => _stream = AugmentationContext.StableHash(GetType().Name);

    /// <summary>When true the step is random also when not training (previews, offline augmentation).</summary>
    public bool AlwaysRandom { get; init; }

    /// <summary>Whether the step draws at random for the given mode.</summary>
    public bool IsRandom(bool training) => training || AlwaysRandom;

    /// <inheritdoc />
    /// <remarks>Draws as <see cref="ApplyRandom"/> does (<see cref="MapRandom"/>) while random, else <see cref="MapScoring"/>.</remarks>
    public sealed override PixelMap? Map(ImageShape input, AugmentationContext context, bool training)
    {
        input.Validate();
        var output = OutputShape(input);
        if (!IsRandom(training))
        {
            return MapScoring(input, output);
        }

        var random = threadRandom ?? new RandomSource(0);
        threadRandom = null;
        try
        {
            random.Reseed(context.StreamSeed(_stream));
            return MapRandom(input, output, random);
        }
        finally
        {
            threadRandom = random;
        }
    }

    /// <summary>
    /// Where <see cref="ApplyRandom"/> moves the pixels when it draws from <paramref name="random"/> (it must make the
    /// same draws in the same order), or null when the step cannot say. By default null.
    /// </summary>
    /// <param name="input">The input image's shape.</param>
    /// <param name="output">The output image's shape.</param>
    /// <param name="random">The generator, seeded as for <see cref="ApplyRandom"/>.</param>
    protected virtual PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random) => null;

    /// <summary>Where <see cref="ApplyScoring"/> moves the pixels: the identity unless overridden.</summary>
    /// <param name="input">The input image's shape.</param>
    /// <param name="output">The output image's shape.</param>
    protected virtual PixelMap? MapScoring(ImageShape input, ImageShape output) =>
        PixelMap.Identity(input.Height, input.Width);

    /// <summary>The generator this step uses for <paramref name="context"/>: one stream per step type.</summary>
    public RandomSource CreateRandom(AugmentationContext context) => context.CreateRandom(_stream);

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) => input;

    /// <inheritdoc />
    public sealed override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training)
    {
        CheckArguments(source, destination, input);
        if (IsRandom(training))
        {
            var random = threadRandom ?? new RandomSource(0);
            threadRandom = null;
            try
            {
                random.Reseed(context.StreamSeed(_stream));
                ApplyRandom(source, destination, input, random);
            }
            finally
            {
                threadRandom = random;
            }
        }
        else
        {
            ApplyScoring(source, destination, input);
        }
    }

    /// <summary>The generator seeded as <see cref="CreateRandom(AugmentationContext)"/>'s, reusing <paramref name="random"/>.</summary>
    internal void Reseed(RandomSource random, AugmentationContext context) => random.Reseed(context.StreamSeed(_stream));

    /// <summary>
    /// The random transform, drawing from <paramref name="random"/> (the generator <see cref="CreateRandom"/> would give).
    /// The generator is reused once the call returns: do not keep it.
    /// </summary>
    protected abstract void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random);

    /// <summary>The transform when not random: the identity unless overridden.</summary>
    protected virtual void ApplyScoring(ReadOnlySpan<float> source, Span<float> destination, ImageShape input) => source.CopyTo(destination);

    /// <summary>A uniform draw in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    protected static double Uniform(RandomSource random, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(random);
        return min + ((max - min) * random.NextDouble());
    }
}
