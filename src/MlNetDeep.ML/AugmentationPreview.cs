using MlNetDeep.ML.Internal;
using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>
/// Renders a grid of augmented samples of real photos to a PNG, to see what an augmentation recipe does before
/// training with it. One row per photo: the first cell is the photo as loaded (resized), the next cells are
/// <c>samplesPerImage</c> draws of the augmentation in training mode, sample k of image r drawn with
/// <c>AugmentationContext(seed, epoch: k, row: r)</c> — what row r would see in epoch k of training.
/// </summary>
/// <remarks>
/// Layout: cells are separated and surrounded by <see cref="Spacing"/> white pixels; the first column is as wide
/// as the input images, the others as wide as the augmentation's output (a random crop gives smaller cells); a row
/// is as tall as the taller of the two, with each cell centred vertically (top offset rounded down). Pixel values
/// are clamped to [0, 1] for display and rounded to 8 bits.
/// </remarks>
public static class AugmentationPreview
{
    /// <summary>The white margin, in pixels, around and between cells.</summary>
    public const int Spacing = 4;

    /// <summary>
    /// Loads the photos at <paramref name="imagePaths"/>, resizes each to <paramref name="imageSize"/> squared and writes the
    /// preview grid to <paramref name="pngPath"/> (atomically: a failure leaves any previous file intact).
    /// </summary>
    /// <param name="augmentation">The augmentation to preview (drawn with training: true).</param>
    /// <param name="imagePaths">Image files (PNG, JPEG, ... as ML.NET's LoadImages decodes them), one grid row each.</param>
    /// <param name="pngPath">The PNG file to write; its name must end in <c>.png</c> and its folder must exist.</param>
    /// <param name="samplesPerImage">The augmented samples per photo (columns after the original).</param>
    /// <param name="imageSize">The side of the square each photo is resized to (see <see cref="LoadImages"/>).</param>
    /// <param name="seed">The augmentation seed.</param>
    /// <returns>The shape of the written image (3 channels, the grid's height and width in pixels).</returns>
    /// <exception cref="FileNotFoundException">An image file does not exist (the message names it).</exception>
    /// <exception cref="InvalidDataException">An image file cannot be decoded (the message names it).</exception>
    public static ImageShape Render(ImageAugmentation augmentation, IReadOnlyList<string> imagePaths, string pngPath,
        int samplesPerImage = 8, int imageSize = 256, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(augmentation);
        CheckOutputPath(pngPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samplesPerImage);
        return Render(augmentation, LoadImages(imagePaths, imageSize), pngPath, samplesPerImage, seed);
    }

    /// <summary>Writes the preview grid of in-memory images <c>[N, C, H, W]</c> (C = 1 or 3, values in [0, 1]) to <paramref name="pngPath"/>.</summary>
    /// <param name="augmentation">The augmentation to preview (drawn with training: true).</param>
    /// <param name="images">The images, CHW rows of one tensor; one grid row each.</param>
    /// <param name="pngPath">The PNG file to write; its name must end in <c>.png</c> and its folder must exist.</param>
    /// <param name="samplesPerImage">The augmented samples per image.</param>
    /// <param name="seed">The augmentation seed.</param>
    /// <returns>The shape of the written image.</returns>
    public static ImageShape Render(ImageAugmentation augmentation, Tensor images, string pngPath, int samplesPerImage = 8, ulong seed = 0)
    {
        CheckOutputPath(pngPath);
        var grid = Grid(augmentation, images, samplesPerImage, seed);
        var shape = ImageShape.Of(grid);
        ImageFiles.SavePng(grid.Row(0), shape, pngPath);
        return shape;
    }

    /// <summary>
    /// The preview grid of images <c>[N, C, H, W]</c> (C = 1 or 3) as one image <c>[1, 3, height, width]</c> with
    /// values in [0, 1], laid out as described on <see cref="AugmentationPreview"/>.
    /// </summary>
    /// <param name="augmentation">The augmentation to preview (drawn with training: true).</param>
    /// <param name="images">The images; one grid row each.</param>
    /// <param name="samplesPerImage">The augmented samples per image.</param>
    /// <param name="seed">The augmentation seed.</param>
    public static Tensor Grid(ImageAugmentation augmentation, Tensor images, int samplesPerImage = 8, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(augmentation);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samplesPerImage);
        var input = ImageShape.Of(images);
        input.Validate();
        if (input.Channels is not (1 or 3))
        {
            throw new ArgumentException($"A preview needs images with 1 or 3 channels; got {Tensor.Format(images.Shape)}.", nameof(images));
        }

        var output = augmentation.OutputShape(input);
        if (output.Channels is not (1 or 3))
        {
            throw new ArgumentException($"The augmentation turns {input} into {output}; a preview needs 1 or 3 output channels.", nameof(augmentation));
        }

        var rowHeight = Math.Max(input.Height, output.Height);
        var width = Spacing + input.Width + Spacing + (samplesPerImage * (output.Width + Spacing));
        var height = Spacing + (images.Rows * (rowHeight + Spacing));
        var grid = new Tensor(1, 3, height, width);
        grid.Fill(1f);
        var canvas = new ImageShape(3, height, width);
        var sample = new float[output.Length];
        for (var r = 0; r < images.Rows; r++)
        {
            var top = Spacing + (r * (rowHeight + Spacing));
            Paste(images.Row(r), input, grid.Row(0), canvas, top + ((rowHeight - input.Height) / 2), Spacing);
            for (var k = 0; k < samplesPerImage; k++)
            {
                augmentation.Apply(images.Row(r), sample, input, new AugmentationContext(seed, k, r), training: true);
                var left = Spacing + input.Width + Spacing + (k * (output.Width + Spacing));
                Paste(sample, output, grid.Row(0), canvas, top + ((rowHeight - output.Height) / 2), left);
            }
        }

        return grid;
    }

    /// <summary>
    /// Loads image files as <c>[N, 3, imageSize, imageSize]</c> RGB planes in [0, 1] (byte k becomes k/255) through
    /// ML.NET's image pipeline — LoadImages, ResizeImages (isotropic: the shorter side scaled to
    /// <paramref name="imageSize"/>, the longer one centre-cropped, as AlexNet prepared its 256 × 256 inputs) and ExtractPixels.
    /// </summary>
    /// <param name="imagePaths">The image files.</param>
    /// <param name="imageSize">The side of the square output.</param>
    /// <exception cref="FileNotFoundException">An image file does not exist (the message names it).</exception>
    /// <exception cref="InvalidDataException">An image file cannot be decoded or is a truncated PNG (the message names it).</exception>
    public static Tensor LoadImages(IReadOnlyList<string> imagePaths, int imageSize = 256)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(imageSize, 8192);
        if (imagePaths.Count == 0)
        {
            throw new ArgumentException("Give at least one image file.", nameof(imagePaths));
        }

        if (imagePaths.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("An image path is null or empty.", nameof(imagePaths));
        }

        return ImageFiles.LoadResized(imagePaths, imageSize);
    }

    private static void CheckOutputPath(string pngPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        if (!pngPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The preview is written as PNG; '{pngPath}' should end in .png.", nameof(pngPath));
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' for the preview '{pngPath}' does not exist.");
        }
    }

    // Copies a CHW image (1 or 3 channels, clamped to [0, 1]) into the RGB canvas at (top, left).
    private static void Paste(ReadOnlySpan<float> image, ImageShape shape, Span<float> canvas, ImageShape canvasShape, int top, int left)
    {
        for (var c = 0; c < 3; c++)
        {
            var from = image.Slice((shape.Channels == 1 ? 0 : c) * shape.PlaneLength, shape.PlaneLength);
            var to = canvas.Slice(c * canvasShape.PlaneLength, canvasShape.PlaneLength);
            for (var y = 0; y < shape.Height; y++)
            {
                var source = from.Slice(y * shape.Width, shape.Width);
                var destination = to.Slice(((top + y) * canvasShape.Width) + left, shape.Width);
                for (var x = 0; x < source.Length; x++)
                {
                    var v = source[x];
                    destination[x] = float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);
                }
            }
        }
    }
}
