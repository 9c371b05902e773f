namespace MlNetDeep.Data;

/// <summary>
/// Loads MNIST-style digit sets stored as IDX files: <c>{part}-images-idx3-ubyte[.gz]</c> and
/// <c>{part}-labels-idx1-ubyte[.gz]</c>. For the test part the official names
/// <c>t10k-images-idx3-ubyte[.gz]</c> are accepted too, so the full official data set loads as well
/// as the 10,000-digit subset in <c>datasets/mnist</c>.
/// </summary>
public static class Mnist
{
    /// <summary>The image side length, in pixels.</summary>
    public const int Side = 28;

    private static readonly string[] DigitNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Loads one part of an MNIST data set.</summary>
    /// <param name="directory">The folder holding the IDX files (for example <c>DatasetPaths.Find("mnist")</c>).</param>
    /// <param name="part"><c>"train"</c> or <c>"test"</c>.</param>
    /// <returns>Features <c>[N, 1, 28, 28]</c> in [0, 1], labels 0 to 9 and class names <c>"0"</c> to <c>"9"</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="part"/> is neither "train" nor "test".</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The image or label file is missing; the message lists the names tried.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, the images are not 28 x 28, the counts disagree or a label is above 9.</exception>
    public static ClassificationData Load(string directory, string part)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(part);
        if (part is not ("train" or "test"))
        {
            throw new ArgumentException($"Unknown MNIST part '{part}'; expected \"train\" or \"test\".", nameof(part));
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"MNIST folder '{directory}' does not exist.");
        }

        string[] prefixes = part == "train" ? ["train"] : ["test", "t10k"];
        var imagesPath = FindFile(directory, prefixes, "images-idx3-ubyte");
        var labelsPath = FindFile(directory, prefixes, "labels-idx1-ubyte");

        var images = Idx.ReadImages(imagesPath);
        if (images.Dim(2) != Side || images.Dim(3) != Side)
        {
            throw new InvalidDataException(
                $"MNIST images '{imagesPath}' are {images.Dim(2)} x {images.Dim(3)} pixels; expected {Side} x {Side}.");
        }

        var labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != images.Rows)
        {
            throw new InvalidDataException(
                $"MNIST {part} files disagree: '{imagesPath}' holds {images.Rows} images but '{labelsPath}' holds {labels.Length} labels.");
        }

        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] > 9)
            {
                throw new InvalidDataException($"MNIST labels '{labelsPath}': label {labels[i]} at index {i} is not a digit 0 to 9.");
            }
        }

        return new ClassificationData(images, labels, (string[])DigitNames.Clone());
    }

    private static string FindFile(string directory, string[] prefixes, string stem)
    {
        var tried = new List<string>();
        foreach (var prefix in prefixes)
        {
            foreach (var suffix in new[] { ".gz", string.Empty })
            {
                var name = $"{prefix}-{stem}{suffix}";
                var path = Path.Combine(directory, name);
                if (File.Exists(path))
                {
                    return path;
                }

                tried.Add(name);
            }
        }

        throw new FileNotFoundException(
            $"No MNIST file in '{directory}'; looked for {string.Join(", ", tried)}.", Path.Combine(directory, tried[0]));
    }
}
