using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.NormalizeInput</c>: per-feature input normalisation (seed 001 "输入归一化"), x ← (x − μ)/σ with μ and σ of every feature fitted on the training data; deterministic, saved with the model. Unlike ML.NET's NormalizeMeanVariance it can sit between MlNetDeep augmentation steps and the trainer.</summary>
public sealed class NormalizeInputOptions : ImageAugmentationOptions
{
    /// <summary>Per feature, so a flat vector (tabular features) needs no image shape.</summary>
    internal override bool NeedsImageShape => false;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => FeatureNormalizer.Fit(readImages());
}
