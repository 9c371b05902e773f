using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomBrightness</c>: adds a uniform delta in ±MaxDelta to every pixel while a network trains (seed 001: brightness); the identity when scoring.</summary>
public sealed class RandomBrightnessOptions : ImageAugmentationOptions
{
    /// <summary>The largest brightness change, in pixel units (0.2 for pixels in [0, 1]).</summary>
    public float MaxDelta = 0.2f;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new Brightness(MaxDelta) { AlwaysRandom = AlwaysRandom };
}
