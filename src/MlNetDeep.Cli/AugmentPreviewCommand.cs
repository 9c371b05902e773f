using System.Globalization;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Vision;

namespace MlNetDeep.Cli;

/// <summary><c>mlnetdeep augment-preview</c>: a PNG grid of augmented samples of real photos (default: datasets/images).</summary>
internal static class AugmentPreviewCommand
{
    public static readonly string[] DefaultImages = ["astronaut.png", "chelsea.png", "coffee.png"];

    public static int Run(Dictionary<string, string> o)
    {
        var images = o.Text("images") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : DefaultImages.Select(name => Path.Combine(DatasetPaths.Find("images"), name)).ToArray();
        var output = o.Text("out") ?? "augment-preview.png";
        var samples = o.Int("samples", 8);
        var seed = ulong.Parse(o.Text("seed") ?? "0", CultureInfo.InvariantCulture);
        var recipe = o.Text("recipe") ?? "alexnet";
        var size = o.Int("size", 256);
        var pcaSigma = o.Float("pca-sigma", 0.1f);
        o.RejectUnknown();

        var (augmentation, description) = Recipe(recipe, size, pcaSigma);
        var shape = AugmentationPreview.Render(augmentation, images, output, samples, size, seed);
        var cell = augmentation.OutputShape(new ImageShape(3, size, size));
        Console.WriteLine($"recipe {recipe}: {description}");
        Console.WriteLine(
            $"wrote {Path.GetFullPath(output)}: {images.Length} photo(s) × (original {size}×{size} + {samples} samples {cell.Width}×{cell.Height}), {shape.Width}×{shape.Height} px, seed {seed}");
        return 0;
    }

    public static (ImageAugmentation Augmentation, string Description) Recipe(string name, int size, float pcaSigma) => name switch
    {
        // AlexNet (seed 000 §2.4): 224 × 224 crops of the 256 × 256 image, left–right mirror, PCA colour shift with
        // the ImageNet eigen-decomposition. σ = 0.1 is AlexNet's value and is subtle (each channel offset has a standard deviation of ~3/255);
        // --pca-sigma 0.5 makes the colour shift easy to see.
        "alexnet" => (
            new AugmentationPipeline(new RandomCrop(Math.Min(224, size), Math.Min(224, size)), new RandomMirror(), PcaColorShift.ImageNet(pcaSigma)),
            $"random crop {Math.Min(224, size)}×{Math.Min(224, size)}, left–right mirror (p = 0.5), PCA colour shift (ImageNet, σ = {pcaSigma.ToString(CultureInfo.InvariantCulture)})"),

        // A small-network recipe: mild geometry, then brightness and blur; corners uncovered by the geometry are black.
        "small" => (
            new AugmentationPipeline(
                new RandomRotation(15),
                new RandomScaling(0.9, 1.1),
                new RandomTranslation(size / 10, size / 10),
                new Brightness(0.2f),
                new GaussianBlur(1.5, probability: 0.5)),
            $"rotation ±15°, scaling 0.9–1.1, translation ±{size / 10} px, brightness ±0.2, Gaussian blur σ ≤ 1.5 px (p = 0.5)"),
        _ => throw new ArgumentException($"Unknown recipe '{name}'; expected alexnet or small."),
    };
}
