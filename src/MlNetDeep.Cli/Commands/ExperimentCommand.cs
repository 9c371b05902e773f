using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MlNetDeep.ML.Experiments;

namespace MlNetDeep.Cli.Commands;

/// <summary><c>mlnetdeep experiment run FILE</c> and <c>mlnetdeep experiment report DIR</c>.</summary>
internal static class ExperimentCommand
{
    public static Command Create(Terminal terminal)
    {
        var file = new Argument<string>("FILE") { Description = "The experiment file (JSON): data, recipe, seeds, search space, strategy and budget" };
        file.Validators.Add(r =>
        {
            var path = r.GetValueOrDefault<string>();
            if (!File.Exists(path))
            {
                r.AddError($"FILE '{path}': no such experiment file.");
            }
        });
        var output = new Option<string?>("--out") { Description = "The results folder (default runs/NAME, NAME from the file)" };
        var run = new Command("run", "Run an experiment file: train every trial of its search, then write the leaderboard (CSV, Markdown), the curves, the scatter of the search and the best pipeline.") { file, output };
        run.SetAction(p =>
        {
            var definition = ExperimentDefinition.Load(p.GetValue(file)!);
            var directory = p.GetValue(output) ?? Path.Combine("runs", definition.Name);
            var ml = new MLContext(seed: definition.Seeds[0]);
            var result = ml.Model.RunExperiment(definition, directory, new ExperimentProgress
            {
                Message = terminal.Line,
                Trial = t => terminal.Line(string.Create(CultureInfo.InvariantCulture,
                    $"trial {t.Trial,3}  {(t.Settings.Count == 0 ? "recipe as given" : string.Join("  ", t.Settings.Select(s => $"{s.Key} {Format(s.Value)}")))}  → {t.Score:G4}  {t.Status}  {t.Seconds:F1}s")),
            });
            terminal.Line(string.Empty);
            terminal.Line(File.ReadAllText(Path.Combine(directory, "leaderboard.md")));
            terminal.Line(string.Create(CultureInfo.InvariantCulture,
                $"best: trial {result.Best.Trial} ({result.Best.Score:G4}){(result.Baseline is { } b ? $"; the recipe as given: {b.Score:G4}" : string.Empty)}; results in {directory}"));
            return 0;
        });

        var folder = new Argument<string>("DIR") { Description = "The results folder of an experiment run" };
        folder.Validators.Add(r =>
        {
            var path = r.GetValueOrDefault<string>();
            if (!File.Exists(Path.Combine(path, "trials.csv")))
            {
                r.AddError($"DIR '{path}' holds no trials.csv; expected the results folder of 'mlnetdeep experiment run'.");
            }
        });
        var report = new Command("report", "Rewrite leaderboard.md and search.svg of a results folder from its trials.csv, and print the leaderboard.") { folder };
        report.SetAction(p =>
        {
            terminal.Line(ExperimentReport.Rebuild(p.GetValue(folder)!));
            return 0;
        });

        return new Command("experiment", "Hyper-parameter search from an experiment file.") { run, report };
    }

    private static string Format(System.Text.Json.JsonElement v) =>
        v.ValueKind == System.Text.Json.JsonValueKind.Number ? v.GetDouble().ToString("G3", CultureInfo.InvariantCulture) : v.ToString();
}
