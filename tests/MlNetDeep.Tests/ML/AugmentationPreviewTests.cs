using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Internal;
using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.ML;

/// <summary>The augmentation preview on the photos in datasets/images, and ML.NET's image pipeline underneath it.</summary>
public sealed class AugmentationPreviewTests
{
    private const int Size = 64;
    private const int Crop = 48;
    private string _folder = string.Empty;

    private static string Photo(string name) => Path.Combine(DatasetPaths.Find("images"), name);

    private static AugmentationPipeline AlexNetLike() => new(new RandomCrop(Crop, Crop), new RandomMirror(), PcaColorShift.ImageNet(0.5));

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("mlnetdeep-preview-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void ImageAnalyticsGivesAChwVectorOfSingles()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = Photo("chelsea.png") }]);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(PathRow.Path))
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 40, imageHeight: 30))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"));
        var transformed = pipeline.Fit(data).Transform(data);

        var type = transformed.Schema["Pixels"].Type as VectorDataViewType;
        Assert.That(type, Is.Not.Null);
        Assert.That(type!.ItemType, Is.EqualTo(NumberDataViewType.Single));
        Assert.That(type.Dimensions, Is.EqualTo(new[] { 3, 30, 40 }));
        var pixels = transformed.GetColumn<VBuffer<float>>("Pixels").Single().DenseValues().ToArray();
        Assert.That(pixels, Has.Length.EqualTo(3 * 30 * 40));
        Assert.That(pixels.Min(), Is.GreaterThanOrEqualTo(0));
        Assert.That(pixels.Max(), Is.LessThanOrEqualTo(255).And.GreaterThan(100));
    }

    [Test]
    public void LoadImagesGivesRgbPlanesScaledToUnitRange()
    {
        // astronaut.png is 512 × 512, so no resampling: plane 0 must be the decoder's red bytes / 255, and so on.
        var path = Photo("astronaut.png");
        var loaded = AugmentationPreview.LoadImages([path], 512);
        using var decoded = MLImage.CreateFromFile(path);
        Assert.That((decoded.Width, decoded.Height, decoded.PixelFormat), Is.EqualTo((512, 512, MLPixelFormat.Bgra32)));
        var bgra = decoded.Pixels.ToArray();
        var row = loaded.Row(0);
        var plane = 512 * 512;
        var worst = 0;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                worst = Math.Max(worst, Math.Abs(ImageFiles.ToByte(row[(c * plane) + p]) - bgra[(4 * p) + 2 - c]));
            }
        }

        Assert.That(worst, Is.Zero);
    }

    [Test]
    public void PngHasTheGridSizeAndTheFirstColumnIsTheResizedOriginal()
    {
        string[] photos = [Photo("chelsea.png"), Photo("coffee.png")];
        var png = Path.Combine(_folder, "preview.png");
        var shape = AugmentationPreview.Render(AlexNetLike(), photos, png, samplesPerImage: 3, imageSize: Size, seed: 7);

        var width = 4 + Size + 4 + (3 * (Crop + 4));
        var height = 4 + (2 * (Size + 4));
        Assert.That(shape, Is.EqualTo(new ImageShape(3, height, width)));
        var (pixels, decodedWidth, decodedHeight) = Decode(png);
        Assert.That((decodedWidth, decodedHeight), Is.EqualTo((width, height)));

        var originals = AugmentationPreview.LoadImages(photos, Size);
        for (var r = 0; r < 2; r++)
        {
            var top = 4 + (r * (Size + 4));
            var original = originals.Row(r);
            for (var c = 0; c < 3; c++)
            {
                for (var y = 0; y < Size; y++)
                {
                    for (var x = 0; x < Size; x++)
                    {
                        var expected = ImageFiles.ToByte(original[(((c * Size) + y) * Size) + x]);
                        var actual = pixels[(4 * (((top + y) * width) + 4 + x)) + c];
                        if (actual != expected)
                        {
                            Assert.Fail($"row {r} channel {c} pixel ({x}, {y}): {actual}, expected {expected}");
                        }
                    }
                }
            }
        }

        // The spacing is white.
        Assert.That(pixels.AsSpan(0, 4 * width).ToArray(), Is.All.EqualTo(255));
    }

    [Test]
    public void CellsAreTheTrainingDrawsOfSeedEpochAndRow()
    {
        var images = new Tensor(2, 3, Size, Size);
        var random = new RandomSource(3);
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = random.NextFloat();
        }

        var augmentation = AlexNetLike();
        var grid = AugmentationPreview.Grid(augmentation, images, samplesPerImage: 2, seed: 11);
        var canvas = ImageShape.Of(grid);
        var input = new ImageShape(3, Size, Size);
        for (var r = 0; r < 2; r++)
        {
            for (var k = 0; k < 2; k++)
            {
                var expected = augmentation.Apply(images.Row(r), input, new AugmentationContext(11, k, r), training: true);
                var top = 4 + (r * (Size + 4)) + ((Size - Crop) / 2);
                var left = 4 + Size + 4 + (k * (Crop + 4));
                var cell = Cell(grid.Row(0), canvas, top, left, Crop, Crop);
                Assert.That(cell, Is.EqualTo(expected.Select(v => Math.Clamp(v, 0f, 1f)).ToArray()), $"row {r}, sample {k}");
            }
        }
    }

    [Test]
    public void AnIdentityAugmentationRepeatsTheOriginal()
    {
        var images = AugmentationPreview.LoadImages([Photo("chelsea.png")], Size);
        var identities = new ImageAugmentation[]
        {
            new AugmentationPipeline(),
            new RandomMirror(horizontalProbability: 0),
            new ChannelNormalizer([0f, 0f, 0f], [1f, 1f, 1f]),
        };
        foreach (var identity in identities)
        {
            var grid = AugmentationPreview.Grid(identity, images, samplesPerImage: 3);
            var canvas = ImageShape.Of(grid);
            var original = images.Row(0).ToArray();
            for (var k = 0; k < 3; k++)
            {
                Assert.That(Cell(grid.Row(0), canvas, 4, 4 + Size + 4 + (k * (Size + 4)), Size, Size), Is.EqualTo(original), $"{identity.GetType().Name}, sample {k}");
            }
        }
    }

    [Test]
    public void TheSameSeedWritesTheSameBytesAndAnotherSeedDoesNot()
    {
        var images = AugmentationPreview.LoadImages([Photo("chelsea.png")], Size);
        var a = Path.Combine(_folder, "a.png");
        var b = Path.Combine(_folder, "b.png");
        var c = Path.Combine(_folder, "c.png");
        AugmentationPreview.Render(AlexNetLike(), images, a, samplesPerImage: 4, seed: 5);
        AugmentationPreview.Render(AlexNetLike(), images, b, samplesPerImage: 4, seed: 5);
        AugmentationPreview.Render(AlexNetLike(), images, c, samplesPerImage: 4, seed: 6);
        Assert.That(File.ReadAllBytes(b), Is.EqualTo(File.ReadAllBytes(a)));
        Assert.That(File.ReadAllBytes(c), Is.Not.EqualTo(File.ReadAllBytes(a)));
        Assert.That(Directory.GetFiles(_folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "a.png", "b.png", "c.png" }));
    }

    [Test]
    public void AMissingImageIsNamedAndNothingIsWritten()
    {
        var missing = Path.Combine(_folder, "no-such-photo.png");
        var png = Path.Combine(_folder, "preview.png");
        var e = Assert.Throws<FileNotFoundException>(() => AugmentationPreview.Render(AlexNetLike(), [Photo("chelsea.png"), missing], png));
        Assert.That(e!.Message, Does.Contain(missing));
        Assert.That(File.Exists(png), Is.False);
    }

    [Test]
    public void ACorruptOrTruncatedImageIsNamed()
    {
        var garbage = Path.Combine(_folder, "garbage.png");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var e = Assert.Throws<InvalidDataException>(() => AugmentationPreview.LoadImages([garbage], Size));
        Assert.That(e!.Message, Does.Contain(garbage));

        // A PNG cut in half still decodes in SkiaSharp (missing rows filled in); the chunk check catches it.
        var bytes = File.ReadAllBytes(Photo("chelsea.png"));
        var truncated = Path.Combine(_folder, "truncated.png");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<InvalidDataException>(() => AugmentationPreview.LoadImages([truncated], Size));
        Assert.That(e!.Message, Does.Contain(truncated).And.Contain("truncated"));
    }

    [Test]
    public void ThePreviewMustBeAPngInAnExistingFolder()
    {
        var images = new Tensor(1, 3, 8, 8);
        Assert.Throws<ArgumentException>(() => AugmentationPreview.Render(new AugmentationPipeline(), images, Path.Combine(_folder, "preview.jpg")));
        var e = Assert.Throws<DirectoryNotFoundException>(() => AugmentationPreview.Render(new AugmentationPipeline(), images, Path.Combine(_folder, "no", "preview.png")));
        Assert.That(e!.Message, Does.Contain(Path.Combine(_folder, "no")));
    }

    private static float[] Cell(ReadOnlySpan<float> canvas, ImageShape shape, int top, int left, int height, int width)
    {
        var cell = new float[3 * height * width];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                canvas.Slice((c * shape.PlaneLength) + ((top + y) * shape.Width) + left, width).CopyTo(cell.AsSpan(((c * height) + y) * width, width));
            }
        }

        return cell;
    }

    // RGBA bytes of a PNG as MLImage decodes it.
    private static (byte[] Rgba, int Width, int Height) Decode(string path)
    {
        using var image = MLImage.CreateFromFile(path);
        var pixels = image.Pixels.ToArray();
        if (image.PixelFormat == MLPixelFormat.Bgra32)
        {
            for (var p = 0; p < pixels.Length; p += 4)
            {
                (pixels[p], pixels[p + 2]) = (pixels[p + 2], pixels[p]);
            }
        }

        return (pixels, image.Width, image.Height);
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = string.Empty;
    }
}
