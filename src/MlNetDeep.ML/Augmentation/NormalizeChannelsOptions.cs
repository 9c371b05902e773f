using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>
/// Options of <c>mlContext.Transforms.NormalizeChannels</c>: per-channel normalisation of images, x ← (x − μ_c)/σ_c,
/// with μ and σ per channel fitted over all training pixels or given (e.g. ImageNet's 0.485/0.456/0.406 and
/// 0.229/0.224/0.225 for pixels in [0, 1]). Deterministic, saved with the model — the per-channel offset and scale
/// that ML.NET's ExtractPixels cannot apply (it takes one scalar for all channels).
/// </summary>
public sealed class NormalizeChannelsOptions : ImageAugmentationOptions
{
    /// <summary>μ per channel; fitted on the training data when null.</summary>
    public float[]? Mean;

    /// <summary>σ per channel; fitted on the training data when null (give both or neither).</summary>
    public float[]? StandardDeviation;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => (Mean, StandardDeviation) switch
    {
        (null, null) => ChannelNormalizer.Fit(readImages()),
        ({ } mean, { } std) => new ChannelNormalizer(mean, std),
        _ => throw new ArgumentException("Give both Mean and StandardDeviation, or neither to fit them."),
    };
}
