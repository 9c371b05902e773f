namespace MlNetDeep.Vision;

/// <summary>
/// A random augmentation: while training (or always, with <see cref="AlwaysRandom"/>) it draws from a generator
/// derived from the context; otherwise it applies its scoring transform (the identity unless overridden, e.g.
/// the centre crop of <see cref="RandomCrop"/>).
/// </summary>
public abstract class RandomImageAugmentation : ImageAugmentation
{
    /// <summary>When true the step is random also when not training (previews, offline augmentation).</summary>
    public bool AlwaysRandom { get; init; }

    /// <summary>Whether the step draws at random for the given mode.</summary>
    public bool IsRandom(bool training) => training || AlwaysRandom;

    /// <summary>The generator this step uses for <paramref name="context"/>: one stream per step type.</summary>
    public RandomSource CreateRandom(AugmentationContext context) => context.CreateRandom(AugmentationContext.StableHash(GetType().Name));

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) => input;

    /// <inheritdoc />
    public sealed override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training)
    {
        CheckArguments(source, destination, input);
        if (IsRandom(training))
        {
            ApplyRandom(source, destination, input, CreateRandom(context));
        }
        else
        {
            ApplyScoring(source, destination, input);
        }
    }

    /// <summary>The random transform, drawing from <paramref name="random"/>.</summary>
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
