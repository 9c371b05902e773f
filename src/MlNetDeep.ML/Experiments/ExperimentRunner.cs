using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Experiments;

/// <summary>Runs an experiment: reads the data once, trains the trials the strategy picks, keeps the best, writes the results.</summary>
internal sealed class ExperimentRunner(MLContext ml, ExperimentDefinition definition, string directory, ExperimentProgress? progress)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<TrialResult> _trials = [];
    private UserDataset _data = null!;
    private ITransformer _preprocessing = null!;
    private IDataView _train = null!;
    private IDataView _test = null!;
    private ITransformer? _bestModel;
    private TrialResult? _best;
    private int _next = 1;

    private bool HigherIsBetter => _data.Task != NeuralNetworkTask.Regression;

    public ExperimentResult Run()
    {
        definition.Validate();
        Directory.CreateDirectory(Path.Combine(directory, "curves"));
        File.WriteAllText(Path.Combine(directory, "experiment.json"), definition.ToJson());
        var d = definition.Data;
        var path = Path.GetFullPath(Path.Combine(definition.BaseDirectory, d.Dataset));
        _data = UserDataset.Load(ml, path, new DatasetOptions
        {
            LabelColumn = d.LabelColumn,
            FeatureColumns = d.FeatureColumns,
            Task = d.Task is null ? null : ParseTask(d.Task),
            ImageSize = d.ImageSize,
            TestFraction = d.TestFraction,
            Seed = definition.Seeds[0],
        });
        progress?.Message?.Invoke(_data.Description);
        _preprocessing = _data.CreatePreprocessing(ml).Fit(_data.Train);
        _train = ml.Data.Cache(_preprocessing.Transform(_data.Train));
        _test = ml.Data.Cache(_preprocessing.Transform(_data.Test));

        TrialResult? baseline = null;
        if (definition.Baseline || definition.Search is null)
        {
            baseline = Train(0, definition.Recipe, new Dictionary<string, JsonElement>());
        }

        if (definition.Search is { } search)
        {
            Search(search);
        }

        var ranked = _trials.OrderBy(t => Rank(t.Score)).ThenBy(t => t.Trial).ToList();
        var best = ranked.FirstOrDefault(t => !t.IsBaseline && double.IsFinite(t.Score)) ?? baseline ?? ranked[0];
        if (_bestModel is not null)
        {
            ml.Model.SaveWithNetworks(_bestModel, _data.Train.Schema, Path.Combine(directory, "best.mlnetdeep"));
        }

        var result = new ExperimentResult { Trials = ranked, Best = best, Baseline = baseline, HigherIsBetter = HigherIsBetter, Directory = directory };
        ExperimentReport.Write(result, definition);
        return result;
    }

    private void Search(SearchSettings search)
    {
        var random = new RandomSource((ulong)(uint)search.Seed);
        var space = search.Space;
        switch (search.Strategy)
        {
            case SearchStrategy.Grid:
                foreach (var settings in Grid(space, search.GridPoints).Take(search.Trials))
                {
                    if (!TrainNext(definition.Recipe, settings, search))
                    {
                        return;
                    }
                }

                return;
            case SearchStrategy.CoarseToFine:
                var ranges = space.ToDictionary(p => p.Key, p => p.Value);
                var perRound = Math.Max(1, search.Trials / search.Rounds);
                for (var round = 0; round < search.Rounds; round++)
                {
                    var count = round == search.Rounds - 1 ? search.Trials - (perRound * (search.Rounds - 1)) : perRound;
                    for (var i = 0; i < count; i++)
                    {
                        if (!TrainNext(definition.Recipe, Draw(ranges, random), search))
                        {
                            return;
                        }
                    }

                    // Zoom in: every numeric range becomes the span of the best trials so far (Ng, course 2 week 3).
                    var top = _trials.Where(t => !t.IsBaseline && double.IsFinite(t.Score)).OrderBy(t => Rank(t.Score)).Take(search.KeepBest).ToList();
                    if (top.Count > 0)
                    {
                        foreach (var (name, range) in ranges.Where(r => r.Value.IsNumeric).ToList())
                        {
                            var values = top.Select(t => t.Settings[name].GetDouble()).ToList();
                            ranges[name] = space[name].Narrowed(values.Min(), values.Max());
                        }

                        progress?.Message?.Invoke($"round {round + 1}: ranges now {string.Join(", ", ranges.Where(r => r.Value.IsNumeric).Select(r => Inv($"{r.Key} [{r.Value.Min:G3}, {r.Value.Max:G3}]")))}");
                    }

                }

                return;
            case SearchStrategy.SuccessiveHalving:
                var configurations = Enumerable.Range(0, search.Trials).Select(_ => Draw(space, random)).ToList();
                // 1 + ⌊log_η(trials)⌋, counted in integers: the quotient of logarithms can fall just below a whole number.
                var rungs = 1;
                for (long power = search.Eta; power <= search.Trials; power *= search.Eta)
                {
                    rungs++;
                }

                for (var rung = 0; rung < rungs && configurations.Count > 0; rung++)
                {
                    var epochs = Math.Max(1, (int)(definition.Recipe.Epochs / Math.Pow(search.Eta, rungs - 1 - rung)));
                    var results = new List<TrialResult>();
                    foreach (var settings in configurations)
                    {
                        var recipe = definition.Recipe.Clone();
                        recipe.Epochs = epochs;
                        if (OverBudget(search))
                        {
                            return;
                        }

                        results.Add(Train(_next++, recipe, settings));
                    }

                    var keep = (int)Math.Ceiling(configurations.Count / (double)search.Eta);
                    configurations = [.. results.Where(r => double.IsFinite(r.Score)).OrderBy(r => Rank(r.Score)).Take(keep).Select(r => new Dictionary<string, JsonElement>(r.Settings))];
                    if (rung < rungs - 1)
                    {
                        progress?.Message?.Invoke($"rung {rung + 1}: {results.Count} trial(s) of {epochs} epoch(s); the best {configurations.Count} go on");
                    }
                }

                return;
            default:
                for (var i = 0; i < search.Trials; i++)
                {
                    if (!TrainNext(definition.Recipe, Draw(space, random), search))
                    {
                        return;
                    }
                }

                return;
        }
    }

    private bool TrainNext(TrainingRecipe recipe, IReadOnlyDictionary<string, JsonElement> settings, SearchSettings search)
    {
        if (OverBudget(search))
        {
            progress?.Message?.Invoke($"the budget of {search.Minutes} minute(s) is spent; no more trials");
            return false;
        }

        Train(_next++, recipe, settings);
        return true;
    }

    private bool OverBudget(SearchSettings search) => search.Minutes is { } minutes && _clock.Elapsed.TotalMinutes >= minutes;

    private TrialResult Train(int trial, TrainingRecipe start, IReadOnlyDictionary<string, JsonElement> settings)
    {
        var recipe = start;
        foreach (var (name, value) in settings)
        {
            recipe = recipe.With(name, value);
        }

        string status = trial == 0 ? "baseline" : "ok";
        var scores = new List<double>();
        var losses = new List<double>();
        TrainingHistory? first = null;
        ITransformer? model = null;
        var clock = Stopwatch.StartNew();
        try
        {
            recipe.Validate();
            foreach (var seed in definition.Seeds)
            {
                var seeded = recipe.Clone();
                seeded.Seed = seed;
                var trainer = seeded.CreateTrainer(ml, _data.Task, o =>
                {
                    o.FeatureShape = _data.FeatureShape;
                    o.ValidationSet = _test;
                    o.BatchProgressCallback = progress?.Batch;
                });
                var network = trainer.Fit(_train);
                first ??= network.History;
                losses.Add(network.History?.Last.ValidationLoss ?? double.NaN);
                scores.Add(Score(network.Transform(_test)));
                model ??= network;
            }
        }
        catch (TrainingDivergedException e)
        {
            status = $"diverged at epoch {e.Epoch}, batch {e.Batch}";
        }
        catch (ArgumentException e)
        {
            status = $"invalid: {e.Message}";
        }

        var result = new TrialResult
        {
            Trial = trial,
            Settings = settings,
            Recipe = recipe,
            Score = scores.Count == definition.Seeds.Length ? scores.Average() : double.NaN,
            ValidationLoss = losses.Count > 0 ? losses.Average() : double.NaN,
            Seconds = clock.Elapsed.TotalSeconds,
            Status = status,
            History = first,
        };
        _trials.Add(result);
        if (first is not null)
        {
            CsvLogger.Write(first, Path.Combine(directory, "curves", $"trial-{trial:D3}.csv"));
        }

        if (model is not null && double.IsFinite(result.Score) && (_best is null || _best.IsBaseline || Rank(result.Score) < Rank(_best.Score)))
        {
            _best = result;
            _bestModel = new TransformerChain<ITransformer>(_preprocessing, model);
        }

        progress?.Trial?.Invoke(result);
        return result;
    }

    private double Score(IDataView scored) => _data.Task switch
    {
        NeuralNetworkTask.MulticlassClassification => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
        NeuralNetworkTask.BinaryClassification => ml.BinaryClassification.EvaluateNonCalibrated(scored).Accuracy,
        _ => ml.Regression.Evaluate(scored).RootMeanSquaredError,
    };

    /// <summary>Sort key: smaller is better, NaN last.</summary>
    private double Rank(double score) => double.IsNaN(score) ? double.PositiveInfinity : HigherIsBetter ? -score : score;

    private static Dictionary<string, JsonElement> Draw(IReadOnlyDictionary<string, ParameterRange> space, RandomSource random) =>
        space.ToDictionary(p => p.Key, p => p.Value.Sample(random));

    private static IEnumerable<Dictionary<string, JsonElement>> Grid(IReadOnlyDictionary<string, ParameterRange> space, int points)
    {
        IEnumerable<Dictionary<string, JsonElement>> combinations = [new Dictionary<string, JsonElement>()];
        foreach (var (name, range) in space)
        {
            var values = range.Grid(points);
            combinations = combinations.SelectMany(c => values.Select(v => new Dictionary<string, JsonElement>(c) { [name] = v }));
        }

        return combinations;
    }

    internal static NeuralNetworkTask ParseTask(string task) => task switch
    {
        "multiclass" => NeuralNetworkTask.MulticlassClassification,
        "binary" => NeuralNetworkTask.BinaryClassification,
        "regression" => NeuralNetworkTask.Regression,
        _ => throw new ArgumentException($"task '{task}' is unknown; expected multiclass, binary or regression."),
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
