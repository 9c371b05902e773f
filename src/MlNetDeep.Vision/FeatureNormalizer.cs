using MlNetDeep.Data;

namespace MlNetDeep.Vision;

/// <summary>
/// Per-feature input normalisation (seed 001 "输入归一化") as a pipeline step: every value of the image (or any
/// feature vector, seen as a 1×1×n image) becomes (x − μ_j)/σ_j with μ and σ fitted per feature on the training data
/// by <see cref="Standardizer"/>. Deterministic; for images, per-channel statistics (<see cref="ChannelNormalizer"/>)
/// are usually what one wants.
/// </summary>
public sealed class FeatureNormalizer : ImageAugmentation
{
    /// <summary>Creates the step from fitted (or given) statistics.</summary>
    public FeatureNormalizer(Standardizer standardizer)
    {
        ArgumentNullException.ThrowIfNull(standardizer);
        Standardizer = standardizer;
    }

    /// <summary>The per-feature statistics.</summary>
    public Standardizer Standardizer { get; }

    /// <summary>Fits μ and σ per feature on the rows of <paramref name="features"/>.</summary>
    public static FeatureNormalizer Fit(Tensor features) => new(Standardizer.Fit(features));

    /// <inheritdoc />
    /// <remarks>The step changes values, not positions: the identity.</remarks>
    public override PixelMap? Map(ImageShape input, AugmentationContext context, bool training) => PixelMap.Identity(input.Height, input.Width);

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) =>
        input.Length == Standardizer.Mean.Count
            ? input
            : throw new ArgumentException($"The input holds {input.Length} values ({input}); the normaliser was fitted on {Standardizer.Mean.Count}.", nameof(input));

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training)
    {
        CheckArguments(source, destination, input);
        Standardizer.Transform(source, destination);
    }
}
