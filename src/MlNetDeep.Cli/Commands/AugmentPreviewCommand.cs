using System.CommandLine;
using System.Globalization;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Vision;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep augment-preview</c>: a PNG grid of augmented samples of real photos (default: datasets/images).</summary>
internal static class AugmentPreviewCommand
{
    public static readonly string[] DefaultImages = ["astronaut.png", "chelsea.png", "coffee.png"];

    public static Command Create(Terminal terminal)
    {
        var images = new Option<string?>("--images") { Description = "Photos, separated by commas (default: datasets/images astronaut, chelsea, coffee)" };
        var output = Options.OutputFile("--out", "The PNG to write (default augment-preview.png)");
        var recipe = Options.Choice("--recipe", "The augmentation recipe", "alexnet", ["alexnet", "small"]);
        var samples = Options.Int("--samples", "Samples per photo (sample k = epoch k)", 8, 1, 64);
        var size = Options.Int("--size", "The side photos are resized to", 256, 32, 2048);
        var seed = Options.Int("--seed", "The augmentation seed", 0, 0, int.MaxValue);
        var pcaSigma = Options.Float("--pca-sigma", "σ of the PCA colour shift (AlexNet's 0.1; 0.5 makes it visible)", 0.1f, v => v >= 0 && v <= 10, "in [0, 10]");
        var command = new Command("augment-preview", "Write a PNG grid of augmented samples of real photos: one row per photo, the original (resized), then the samples the recipe draws while training.")
        {
            images, output, recipe, samples, size, seed, pcaSigma,
        };
        command.SetAction(p =>
        {
            var files = p.GetValue(images) is { } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : DefaultImages.Select(name => Path.Combine(DatasetPaths.Find("images"), name)).ToArray();
            var path = p.GetValue(output) ?? "augment-preview.png";
            var (augmentation, description) = Recipe(p.GetValue(recipe)!, p.GetValue(size), p.GetValue(pcaSigma));
            var shape = AugmentationPreview.Render(augmentation, files, path, p.GetValue(samples), p.GetValue(size), (ulong)p.GetValue(seed));
            var cell = augmentation.OutputShape(new ImageShape(3, p.GetValue(size), p.GetValue(size)));
            terminal.Line($"recipe {p.GetValue(recipe)}: {description}");
            terminal.Line(
                $"wrote {Path.GetFullPath(path)}: {files.Length} photo(s) × (original {p.GetValue(size)}×{p.GetValue(size)} + {p.GetValue(samples)} samples {cell.Width}×{cell.Height}), {shape.Width}×{shape.Height} px, seed {p.GetValue(seed)}");
            return 0;
        });
        return command;
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
