using Microsoft.ML;

namespace MlNetDeep.ML;

/// <summary>
/// Lists a folder with one subfolder per class as rows of (ImagePath, Label), sorted by class and file name, for ML.NET's
/// LoadImages. A stand-in until the streaming image-folder helper (issue 11) lands; it is the only place that lists folders.
/// </summary>
internal static class ImageFolderListing
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif" };

    /// <summary>True when <paramref name="folder"/> has at least one subfolder holding an image.</summary>
    public static bool IsImageFolder(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateDirectories(folder).Any(d => Directory.EnumerateFiles(d).Any(f => Extensions.Contains(Path.GetExtension(f))));

    public static IDataView Load(MLContext ml, string folder)
    {
        var rows = new List<ImageRow>();
        foreach (var classFolder in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var label = Path.GetFileName(classFolder);
            rows.AddRange(Directory.GetFiles(classFolder)
                .Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .Select(f => new ImageRow { ImagePath = Path.GetFullPath(f), Label = label }));
        }

        if (rows.Count == 0)
        {
            throw new InvalidDataException($"Image folder '{folder}' has no images in subfolders; expected one subfolder per class holding .png, .jpg, .bmp or .gif files.");
        }

        return ml.Data.LoadFromEnumerable(rows);
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }
}
