using System.Globalization;
using Microsoft.ML.Data;

namespace MlNetDeep.ML;

/// <summary>
/// Infers the columns of a CSV or TSV file from its header and a sample of rows: the separator, each column's name and
/// type (Single when every sampled value is a number, Boolean when every one is true/false, else text). ML.NET's own
/// InferColumns lives in Microsoft.ML.AutoML, which this library does not depend on. A scikit-learn data set file
/// (header <c>n_samples,n_features,class names…</c>) gets columns f0…f(n−1) and <c>target</c>.
/// </summary>
internal static class TextColumnInference
{
    private const int SampleRows = 1000;

    public sealed record Inferred(char Separator, TextLoader.Column[] Columns, string[] Names, bool Sklearn);

    public static Inferred Infer(string path, IReadOnlyDictionary<string, DataKind>? forced = null)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"'{path}' is empty; expected a header line naming the columns.");
        var separator = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || header.Contains('\t') ? '\t'
            : !header.Contains(',') && header.Contains(';') ? ';' : ',';
        var names = header.Split(separator).Select(n => n.Trim().Trim('"')).ToArray();
        var sample = new List<string[]>();
        for (var line = reader.ReadLine(); line is not null && sample.Count < SampleRows; line = reader.ReadLine())
        {
            if (line.Trim().Length > 0)
            {
                sample.Add(line.Split(separator).Select(v => v.Trim().Trim('"')).ToArray());
            }
        }

        if (sample.Count == 0)
        {
            throw new InvalidDataException($"'{path}' has a header but no rows.");
        }

        var sklearn = names.Length >= 3 && IsCount(names[0]) && IsCount(names[1]) && !names.Skip(2).Any(IsNumber)
            && sample[0].Length == int.Parse(names[1], CultureInfo.InvariantCulture) + 1;
        if (sklearn)
        {
            var features = int.Parse(names[1], CultureInfo.InvariantCulture);
            names = [.. Enumerable.Range(0, features).Select(i => $"f{i}"), "target"];
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length || names.Any(n => n.Length == 0))
        {
            throw new InvalidDataException($"The header of '{path}' must name every column once; it is \"{header}\".");
        }

        var columns = new TextLoader.Column[names.Length];
        for (var c = 0; c < names.Length; c++)
        {
            var values = sample.Select(r => c < r.Length ? r[c] : string.Empty).Where(v => v.Length > 0).ToList();
            var kind = forced is not null && forced.TryGetValue(names[c], out var k) ? k
                : values.Count > 0 && values.All(IsNumber) ? DataKind.Single
                : values.Count > 0 && values.All(v => bool.TryParse(v, out _)) ? DataKind.Boolean
                : DataKind.String;
            columns[c] = new TextLoader.Column(names[c], kind, c);
        }

        return new Inferred(separator, columns, names, sklearn);
    }

    /// <summary>True when every sampled value of column <paramref name="index"/> is a whole number and there are at most <paramref name="max"/> distinct ones.</summary>
    public static bool FewWholeNumbers(string path, Inferred inferred, int index, int max)
    {
        var seen = new HashSet<float>();
        foreach (var line in File.ReadLines(path).Skip(1).Take(SampleRows * 10))
        {
            var fields = line.Split(inferred.Separator);
            if (index >= fields.Length || !float.TryParse(fields[index].Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                continue;
            }

            if (v != MathF.Round(v) || (seen.Add(v) && seen.Count > max))
            {
                return false;
            }
        }

        return seen.Count > 0;
    }

    private static bool IsCount(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0;

    private static bool IsNumber(string s) => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
