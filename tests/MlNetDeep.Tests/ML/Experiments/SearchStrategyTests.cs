using System.Text.Json;
using Microsoft.ML;
using MlNetDeep.ML;
using MlNetDeep.ML.Experiments;

namespace MlNetDeep.Tests.ML.Experiments;

/// <summary>
/// The search strategies on the iris CSV (a few epochs a trial, so a strategy runs in seconds): the same file and seeds
/// give the same table; grid tries every combination on the log scale; coarse to fine draws each round inside the span
/// of the best trials so far; successive halving trains many briefly and the best 1/η longer.
/// </summary>
public class SearchStrategyTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-search-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static ExperimentDefinition Iris(SearchSettings search, int epochs = 4) => new()
    {
        Name = "iris",
        Data = new ExperimentDefinition.DataSettings { Dataset = Path.Combine(MlNetDeep.Data.DatasetPaths.Find("iris"), "iris.csv"), LabelColumn = "target" },
        Recipe = new TrainingRecipe { Model = "mlp", Hidden = [8], Epochs = epochs, BatchSize = 16, LearningRate = 0.01f },
        Seeds = [3],
        Search = search,
    };

    private static ParameterRange LogUniform(double min, double max) => new() { Type = "log-uniform", Min = min, Max = max };

    private ExperimentResult Run(ExperimentDefinition definition, string name) =>
        new MLContext(seed: 1).Model.RunExperiment(definition, Path.Combine(_dir, name));

    private static double Setting(TrialResult trial, string name) => trial.Settings[name].GetDouble();

    [Test]
    public void TheSameFileAndSeedsGiveTheSameTable()
    {
        var search = new SearchSettings { Space = { ["learningRate"] = LogUniform(1e-3, 1e-1), ["l2"] = LogUniform(1e-5, 1e-2) }, Trials = 4, Seed = 11 };

        var first = Run(Iris(search), "a");
        var second = Run(Iris(search), "b");

        string Row(TrialResult t) => $"{t.Trial} {JsonSerializer.Serialize(t.Settings)} {t.Score:R} {t.ValidationLoss:R}";
        Assert.That(second.Trials.Select(Row), Is.EqualTo(first.Trials.Select(Row)));
        Assert.That(first.Trials, Has.Count.EqualTo(5), "the baseline and 4 trials");
        Assert.That(File.Exists(Path.Combine(_dir, "a", "best.mlnetdeep")), Is.True);
    }

    [Test]
    public void GridTriesEveryCombinationOnTheLogScale()
    {
        var search = new SearchSettings
        {
            Strategy = SearchStrategy.Grid,
            GridPoints = 3,
            Trials = 100,
            Space =
            {
                ["learningRate"] = LogUniform(1e-3, 1e-1),
                ["batchSize"] = new ParameterRange { Type = "choice", Values = [JsonSerializer.SerializeToElement(8), JsonSerializer.SerializeToElement(32)] },
            },
        };

        var trials = Run(Iris(search, epochs: 2), "grid").Trials.Where(t => !t.IsBaseline).ToList();

        var combinations = trials.Select(t => (Math.Round(Math.Log10(Setting(t, "learningRate")), 6), t.Settings["batchSize"].GetInt32())).ToHashSet();
        Assert.That(trials, Has.Count.EqualTo(6));
        Assert.That(combinations, Is.EquivalentTo(new[] { (-3.0, 8), (-2.0, 8), (-1.0, 8), (-3.0, 32), (-2.0, 32), (-1.0, 32) }));
    }

    [Test]
    public void CoarseToFineDrawsEachRoundInsideTheSpanOfTheBestTrialsSoFar()
    {
        var search = new SearchSettings
        {
            Strategy = SearchStrategy.CoarseToFine,
            Trials = 9,
            Rounds = 3,
            KeepBest = 2,
            Seed = 5,
            Space = { ["learningRate"] = LogUniform(1e-4, 1) },
        };

        var result = Run(Iris(search), "c2f");
        var trials = result.Trials.Where(t => !t.IsBaseline).OrderBy(t => t.Trial).ToList();

        Assert.That(trials, Has.Count.EqualTo(9));
        for (var round = 1; round < 3; round++)
        {
            var before = trials.Take(3 * round).ToList();
            var top = (result.HigherIsBetter ? before.OrderByDescending(t => t.Score) : before.OrderBy(t => t.Score)).Take(2).ToList();
            var (min, max) = (top.Min(t => Setting(t, "learningRate")), top.Max(t => Setting(t, "learningRate")));
            foreach (var trial in trials.Skip(3 * round).Take(3))
            {
                Assert.That(Setting(trial, "learningRate"), Is.InRange(min * (1 - 1e-9), max * (1 + 1e-9)), $"round {round + 1}, trial {trial.Trial}");
            }
        }
    }

    [Test]
    public void SuccessiveHalvingTrainsTheBestThirdThreeTimesLonger()
    {
        var search = new SearchSettings
        {
            Strategy = SearchStrategy.SuccessiveHalving,
            Trials = 9,
            Eta = 3,
            Seed = 2,
            Space = { ["learningRate"] = LogUniform(1e-4, 1) },
        };

        var trials = Run(Iris(search, epochs: 9), "halving").Trials.Where(t => !t.IsBaseline).OrderBy(t => t.Trial).ToList();

        Assert.That(trials.Select(t => t.Recipe.Epochs), Is.EqualTo(Enumerable.Repeat(1, 9).Concat(Enumerable.Repeat(3, 3)).Append(9)));
        var firstRung = trials.Take(9).ToList();
        var promoted = trials.Skip(9).Take(3).Select(t => Setting(t, "learningRate")).ToHashSet();
        var bestThree = firstRung.OrderByDescending(t => t.Score).Take(3).Select(t => Setting(t, "learningRate"));
        Assert.That(promoted, Is.EquivalentTo(bestThree), "the three best of the first rung go on");
    }
}
