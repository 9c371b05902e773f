using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>Options of <c>mlContext.Transforms.RandomCrop</c>: a random Height×Width window while a network trains, the centre window when scoring (AlexNet: 224×224 crops of 256×256 images, seed 000 §2.4).</summary>
public sealed class RandomCropOptions : ImageAugmentationOptions
{
    /// <summary>The crop height in pixels (AlexNet: 224).</summary>
    public int Height = 224;

    /// <summary>The crop width in pixels (AlexNet: 224).</summary>
    public int Width = 224;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) => new RandomCrop(Height, Width) { AlwaysRandom = AlwaysRandom };
}
