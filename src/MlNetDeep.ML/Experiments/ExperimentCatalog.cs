using Microsoft.ML;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// Hyper-parameter search on the MLContext: <c>mlContext.Model.RunExperiment(ExperimentDefinition.Load("experiment.json"), "runs/mnist")</c>,
/// or a definition built in C#. The same definition and seeds give the same table: every trial trains with fixed seeds,
/// the search draws from its own seed, and the run uses an MLContext of its own seeded from the first seed (a budget in
/// minutes is the one exception).
/// </summary>
public static class ExperimentCatalog
{
    /// <summary>Runs the experiment and writes its results to <paramref name="outputDirectory"/>.</summary>
    /// <param name="catalog">The MLContext's model catalog.</param>
    /// <param name="experiment">The experiment.</param>
    /// <param name="outputDirectory">The results folder: trials.csv and leaderboard.md (best first), search.svg, curves/trial-NNN.csv, best.mlnetdeep (load with LoadWithNetworks), experiment.json.</param>
    /// <param name="progress">Optional progress reports.</param>
    public static ExperimentResult RunExperiment(this ModelOperationsCatalog catalog, ExperimentDefinition experiment, string outputDirectory, ExperimentProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        experiment.Validate();

        // The experiment's own MLContext, seeded from its first seed: the same file gives the same table whichever context runs it.
        return new ExperimentRunner(new MLContext(seed: experiment.Seeds[0]), experiment, outputDirectory, progress).Run();
    }
}
