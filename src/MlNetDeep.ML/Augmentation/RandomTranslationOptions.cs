using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomTranslation</c>: shifts the image by whole pixels, uniformly within ±MaxShiftX and ±MaxShiftY, while a network trains (e.g. ±2 pixels for MNIST); the identity when scoring.</summary>
public sealed class RandomTranslationOptions : ImageAugmentationOptions
{
    /// <summary>The largest horizontal shift in pixels.</summary>
    public int MaxShiftX = 2;

    /// <summary>The largest vertical shift in pixels.</summary>
    public int MaxShiftY = 2;

    /// <summary>The value of pixels shifted in (0: MNIST background).</summary>
    public float Fill;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new RandomTranslation(MaxShiftX, MaxShiftY, Fill) { AlwaysRandom = AlwaysRandom };
}
