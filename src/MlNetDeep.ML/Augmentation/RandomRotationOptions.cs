using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomRotation</c>: rotates by a uniform angle in ±MaxDegrees about the centre (bilinear) while a network trains (seed 001, small data sets); the identity when scoring.</summary>
public sealed class RandomRotationOptions : ImageAugmentationOptions
{
    /// <summary>The largest rotation in degrees either way.</summary>
    public double MaxDegrees = 15;

    /// <summary>The value of pixels rotated in from outside the image.</summary>
    public float Fill;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new RandomRotation(MaxDegrees, Fill) { AlwaysRandom = AlwaysRandom };
}
