using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomMirror</c>: flips the image left-right (and optionally upside down) with a probability while a network trains (seed 001: mirroring); the identity when scoring.</summary>
public sealed class RandomMirrorOptions : ImageAugmentationOptions
{
    /// <summary>The probability of a left-right flip.</summary>
    public double HorizontalProbability = 0.5;

    /// <summary>The probability of an upside-down flip (0: never; most photos should not be flipped vertically).</summary>
    public double VerticalProbability;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new RandomMirror(HorizontalProbability, VerticalProbability) { AlwaysRandom = AlwaysRandom };
}
