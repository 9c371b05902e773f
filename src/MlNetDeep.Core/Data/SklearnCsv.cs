using System.Globalization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Data;

/// <summary>
/// Loads the small CSV data sets shipped with scikit-learn (for example <c>iris.csv</c> and
/// <c>breast_cancer.csv</c>). The first line is <c>n_samples,n_features,class name,...</c>; each
/// following line holds <c>n_features</c> numbers and then the integer class index.
/// </summary>
public static class SklearnCsv
{
    /// <summary>Loads a scikit-learn CSV data set.</summary>
    /// <param name="path">The CSV file.</param>
    /// <returns>Features <c>[n_samples, n_features]</c>, labels and the class names from the header.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed, a line has the wrong number of columns,
    /// a value is not a finite number, a class index is out of range, or the row count differs from the header;
    /// the message names the file and, where it applies, the line and column (both 1-based).</exception>
    public static ClassificationData Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        var header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            throw Bad(path, "the file is empty; expected a header line \"n_samples,n_features,class names...\"");
        }

        var head = header.Split(',');
        if (head.Length < 3)
        {
            throw Bad(path, $"line 1: the header \"{Shorten(header)}\" has {head.Length} fields; expected \"n_samples,n_features,class names...\" with at least one class name");
        }

        if (!int.TryParse(head[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var samples) || samples <= 0)
        {
            throw Bad(path, $"line 1, column 1: n_samples \"{Shorten(head[0])}\" is not a positive integer");
        }

        if (!int.TryParse(head[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var features) || features <= 0)
        {
            throw Bad(path, $"line 1, column 2: n_features \"{Shorten(head[1])}\" is not a positive integer");
        }

        if ((long)samples * features > Array.MaxLength)
        {
            throw Bad(path, $"line 1: {samples} samples of {features} features is too large");
        }

        var classNames = new string[head.Length - 2];
        for (var c = 0; c < classNames.Length; c++)
        {
            classNames[c] = head[c + 2].Trim();
            if (classNames[c].Length == 0)
            {
                throw Bad(path, $"line 1, column {c + 3}: class name {c} is empty");
            }
        }

        var data = new List<float>(Math.Min(samples, 1 << 16) * features);
        var labels = new List<int>(Math.Min(samples, 1 << 16));
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (labels.Count == samples)
            {
                throw Bad(path, $"line {lineNumber}: more data rows than the {samples} the header declares");
            }

            var fields = line.Split(',');
            if (fields.Length != features + 1)
            {
                throw Bad(path, $"line {lineNumber}: {fields.Length} columns; expected {features + 1} ({features} features and the class index)");
            }

            for (var f = 0; f < features; f++)
            {
                if (!float.TryParse(fields[f].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
                {
                    throw Bad(path, $"line {lineNumber}, column {f + 1}: \"{Shorten(fields[f])}\" is not a finite number");
                }

                data.Add(value);
            }

            var target = fields[features].Trim();
            if (!int.TryParse(target, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var label))
            {
                throw Bad(path, $"line {lineNumber}, column {features + 1}: class index \"{Shorten(target)}\" is not an integer");
            }

            if ((uint)label >= (uint)classNames.Length)
            {
                throw Bad(path, $"line {lineNumber}, column {features + 1}: class index {label} is out of range; expected [0, {classNames.Length}) for the {classNames.Length} classes in the header");
            }

            labels.Add(label);
        }

        if (labels.Count != samples)
        {
            throw Bad(path, $"the header declares {samples} samples but the file holds {labels.Count} data rows");
        }

        return new ClassificationData(new Tensor([.. data], samples, features), [.. labels], classNames);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static InvalidDataException Bad(string path, string problem) => new($"CSV file '{path}': {problem}.");
}
