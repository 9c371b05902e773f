using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Tensors;

namespace MlNetDeep.ML;

/// <summary>
/// Image folders as ML.NET data: <c>mlContext.Data.LoadFromImageFolder(path)</c> turns a folder with one subfolder per
/// class into rows of (ImagePath, Label), ready for <c>LoadImages → ResizeImages → ExtractPixels →</c> the MlNetDeep
/// image steps <c>→</c> a trainer; <c>mlContext.Data.SplitImageFolder(path, 0.2)</c> also holds out a stratified
/// validation set. Only the paths are in memory: the images are decoded as the pipeline reads them, so a trainer past
/// its memory budget streams a folder of any size.
/// </summary>
/// <remarks>
/// Classes are the subfolders (in ordinal order of their names); an image is a file with one of the options' extensions
/// anywhere below its class folder; files directly in the folder are not part of any class. The rows are sorted (class,
/// then ordinal path) and then shuffled from the seed, so the same folder and seed give the same rows on any machine.
/// A missing or undecodable image is found when a pipeline reads it (an error naming the row and the path, or a skip
/// with the trainers' SkipUnreadableRows); a PNG cut short decodes with its missing rows filled (SkiaSharp's behaviour)
/// and is not detected.
/// </remarks>
public static class ImageFolderCatalog
{
    /// <summary>Every image of <paramref name="path"/> as a row (ImagePath, Label), shuffled unless <paramref name="shuffle"/> is false.</summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="path">The folder, with one subfolder per class.</param>
    /// <param name="shuffle">Shuffle the rows from the seed.</param>
    /// <param name="seed">The seed; when null it is drawn from the MLContext's seed.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">The folder has no class subfolder with an image.</exception>
    public static IDataView LoadFromImageFolder(this DataOperationsCatalog catalog, string path, bool shuffle = true, int? seed = null) =>
        catalog.LoadFromImageFolder(new ImageFolderOptions { Path = path, Shuffle = shuffle, Seed = seed });

    /// <summary>Every image of the options' folder as a row (ImagePath, Label by default).</summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="options">The folder, the column names, the extensions, shuffling.</param>
    public static IDataView LoadFromImageFolder(this DataOperationsCatalog catalog, ImageFolderOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var (images, _) = Scan(options);
        var rows = images.SelectMany(x => x).ToArray();
        if (options.Shuffle)
        {
            Shuffle(rows, new RandomSource(Seed(catalog, options)));
        }

        return View(catalog, rows, options);
    }

    /// <summary>
    /// The images of <paramref name="path"/> split into training and validation rows: <paramref name="validationFraction"/>
    /// of each class (rounded, and at least one image of a class of two or more) held out, both sets shuffled.
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="path">The folder, with one subfolder per class.</param>
    /// <param name="validationFraction">The fraction of each class held out, in (0, 1).</param>
    /// <param name="seed">The seed; when null it is drawn from the MLContext's seed.</param>
    public static ImageFolderSplit SplitImageFolder(this DataOperationsCatalog catalog, string path, double validationFraction = 0.2, int? seed = null) =>
        catalog.SplitImageFolder(new ImageFolderOptions { Path = path, ValidationFraction = validationFraction, Seed = seed });

    /// <summary>The images of the options' folder split, class by class, into training and validation rows (see <see cref="ImageFolderOptions.ValidationFraction"/>).</summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="options">The folder, the column names, the extensions, the fraction, shuffling.</param>
    public static ImageFolderSplit SplitImageFolder(this DataOperationsCatalog catalog, ImageFolderOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.ValidationFraction > 0 && options.ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, $"{nameof(ImageFolderOptions.ValidationFraction)} must be in (0, 1).");
        }

        var (images, classes) = Scan(options);
        var random = new RandomSource(Seed(catalog, options));
        var train = new List<Row>();
        var validation = new List<Row>();
        foreach (var rows in images)
        {
            Shuffle(rows, random);
            var held = rows.Length < 2 ? 0 : Math.Clamp((int)Math.Round(rows.Length * options.ValidationFraction), 1, rows.Length - 1);
            validation.AddRange(rows[..held]);
            train.AddRange(rows[held..]);
        }

        if (validation.Count == 0)
        {
            throw new ArgumentException($"No class of '{options.Path}' has two images or more, so none can be held out for validation.");
        }

        Row[] trainRows = [.. train], validationRows = [.. validation];
        if (options.Shuffle)
        {
            Shuffle(trainRows, random);
            Shuffle(validationRows, random);
        }

        return new ImageFolderSplit(View(catalog, trainRows, options), View(catalog, validationRows, options), classes);
    }

    /// <summary>True when <paramref name="folder"/> has a subfolder holding an image (with the default extensions).</summary>
    internal static bool IsImageFolder(string folder)
    {
        var extensions = new HashSet<string>(new ImageFolderOptions().Extensions, StringComparer.OrdinalIgnoreCase);
        return Directory.Exists(folder) && Directory.EnumerateDirectories(folder)
            .Any(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Any(f => extensions.Contains(Path.GetExtension(f))));
    }

    /// <summary>The images of each class (ordinal order), and the class names.</summary>
    private static (Row[][] Images, string[] Classes) Scan(ImageFolderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Path, nameof(options.Path));
        var root = Path.GetFullPath(options.Path);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' not found.");
        }

        var extensions = new HashSet<string>(options.Extensions ?? [], StringComparer.OrdinalIgnoreCase);
        var classes = new List<string>();
        var images = new List<Row[]>();
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .Select(f => new Row { ImagePath = f, Label = name })
                .ToArray();
            if (files.Length > 0)
            {
                classes.Add(name);
                images.Add(files);
            }
        }

        if (images.Count == 0)
        {
            throw new ArgumentException(
                $"Image folder '{root}' has no subfolder with images ({string.Join(", ", extensions.Order(StringComparer.Ordinal))}): put each class's images in a subfolder named after the class.");
        }

        return ([.. images], [.. classes]);
    }

    private static ulong Seed(DataOperationsCatalog catalog, ImageFolderOptions options) =>
        (ulong)(uint)(options.Seed ?? CatalogEnvironment.Of(catalog).Register("MlNetDeep").Rand.Next());

    private static void Shuffle(Row[] rows, RandomSource random)
    {
        for (var i = rows.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }
    }

    private static IDataView View(DataOperationsCatalog catalog, Row[] rows, ImageFolderOptions options)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.ImagePath)].ColumnName = options.ImagePathColumnName;
        schema[nameof(Row.Label)].ColumnName = options.LabelColumnName;
        return catalog.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }
}
