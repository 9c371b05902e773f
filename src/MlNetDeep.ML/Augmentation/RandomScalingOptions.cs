using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomScaling</c>: zooms about the centre by a uniform factor in [MinScale, MaxScale] (bilinear, same output size) while a network trains (seed 001); the identity when scoring.</summary>
public sealed class RandomScalingOptions : ImageAugmentationOptions
{
    /// <summary>The smallest zoom factor.</summary>
    public double MinScale = 0.9;

    /// <summary>The largest zoom factor.</summary>
    public double MaxScale = 1.1;

    /// <summary>The value of pixels that come from outside the image.</summary>
    public float Fill;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new RandomScaling(MinScale, MaxScale, Fill) { AlwaysRandom = AlwaysRandom };
}
