using System.Globalization;
using System.Text;
using System.Text.Json;
using MlNetDeep.Charts;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// The files of an experiment's results folder: <c>trials.csv</c> (the leaderboard, best first), <c>leaderboard.md</c>
/// (the same as a Markdown table) and <c>search.svg</c> (the trials over the first two searched settings). <see cref="Rebuild"/>
/// makes the Markdown and the scatter again from <c>trials.csv</c> and <c>experiment.json</c>.
/// </summary>
public static class ExperimentReport
{
    /// <summary>Writes trials.csv, leaderboard.md and search.svg for <paramref name="result"/>.</summary>
    public static void Write(ExperimentResult result, ExperimentDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(definition);
        var names = definition.Search?.Space.Keys.ToList() ?? [];
        var metric = result.HigherIsBetter ? "accuracy" : "rmse";
        var csv = new StringBuilder(string.Join(',', ["rank", "trial", "status", .. names, metric, "val_loss", "epochs", "seconds"])).Append('\n');
        var rank = 0;
        foreach (var t in result.Trials)
        {
            var fields = new List<string> { (++rank).ToString(CultureInfo.InvariantCulture), t.Trial.ToString(CultureInfo.InvariantCulture), Quote(t.Status) };
            fields.AddRange(names.Select(n => t.Settings.TryGetValue(n, out var v) ? Quote(Value(v)) : string.Empty));
            fields.Add(R(t.Score));
            fields.Add(R(t.ValidationLoss));
            fields.Add(t.Recipe.Epochs.ToString(CultureInfo.InvariantCulture));
            fields.Add(t.Seconds.ToString("F2", CultureInfo.InvariantCulture));
            csv.Append(string.Join(',', fields)).Append('\n');
        }

        File.WriteAllText(Path.Combine(result.Directory, "trials.csv"), csv.ToString());
        Rebuild(result.Directory);
    }

    /// <summary>Writes leaderboard.md and search.svg from the folder's trials.csv and experiment.json, and returns the Markdown.</summary>
    /// <exception cref="FileNotFoundException">The folder has no trials.csv (not an experiment's results).</exception>
    public static string Rebuild(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var trialsPath = Path.Combine(directory, "trials.csv");
        if (!File.Exists(trialsPath))
        {
            throw new FileNotFoundException($"'{directory}' has no trials.csv; expected the results folder of 'mlnetdeep experiment run'.", trialsPath);
        }

        var definitionPath = Path.Combine(directory, "experiment.json");
        var definition = File.Exists(definitionPath) ? JsonSerializer.Deserialize<ExperimentDefinition>(File.ReadAllText(definitionPath), TrainingRecipe.Json) : null;
        var lines = File.ReadAllLines(trialsPath);
        var header = Split(lines[0]);
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(Split).ToList();
        var metric = header[^4];
        var md = new StringBuilder($"# {definition?.Name ?? Path.GetFileName(Path.GetFullPath(directory))}\n\n");
        md.Append("| ").AppendJoin(" | ", header).Append(" |\n|").AppendJoin("|", header.Select(_ => "---")).Append("|\n");
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row.Select(Short)).Append(" |\n");
        }

        var markdown = md.ToString();
        File.WriteAllText(Path.Combine(directory, "leaderboard.md"), markdown);

        var space = definition?.Search?.Space;
        var parameters = header.Skip(3).Take(header.Length - 7).ToList();
        var numeric = parameters.Where(p => rows.All(r => r[header.IndexOf(p)].Length == 0 || double.TryParse(r[header.IndexOf(p)], NumberStyles.Float, CultureInfo.InvariantCulture, out _))).Take(2).ToList();
        if (numeric.Count > 0)
        {
            double Cell(string[] r, string name) => double.TryParse(r[Array.IndexOf(header, name)], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            var points = rows.Where(r => r[1] != "0").Select(r => (Cell(r, numeric[0]), numeric.Count > 1 ? Cell(r, numeric[1]) : Cell(r, metric), Cell(r, metric))).ToList();
            bool Log(string n) => space is not null && space.TryGetValue(n, out var range) && range.IsLogScale;
            Plot.SearchScatter(
                $"{definition?.Name ?? "search"}: {metric} of {points.Count} trials",
                numeric[0], numeric.Count > 1 ? numeric[1] : metric, points, Log(numeric[0]), numeric.Count > 1 && Log(numeric[1]), metric == "accuracy")
                .Save(Path.Combine(directory, "search.svg"));
        }

        return markdown;
    }

    private static string Value(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("R", CultureInfo.InvariantCulture) : v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    private static string R(double v) => double.IsNaN(v) ? string.Empty : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Short(string cell) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && cell.Contains('.', StringComparison.Ordinal) ? v.ToString("G4", CultureInfo.InvariantCulture) : cell;

    private static string Quote(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : s;

    private static string[] Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }
}
