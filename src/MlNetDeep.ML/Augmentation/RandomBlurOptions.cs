using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomBlur</c>: with a probability, a Gaussian blur of random σ in (0, SigmaMax] while a network trains (seed 001: blur); the identity when scoring.</summary>
public sealed class RandomBlurOptions : ImageAugmentationOptions
{
    /// <summary>The largest blur σ in pixels.</summary>
    public double SigmaMax = 1;

    /// <summary>The probability that an image is blurred.</summary>
    public double Probability = 0.5;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new GaussianBlur(SigmaMax, Probability) { AlwaysRandom = AlwaysRandom };
}
