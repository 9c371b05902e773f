namespace MlNetDeep.ML.Experiments;

/// <summary>What an experiment produced: every trial ranked, the best, and the files written.</summary>
public sealed class ExperimentResult
{
    /// <summary>The trials, best first (the baseline among them, marked).</summary>
    public required IReadOnlyList<TrialResult> Trials { get; init; }

    /// <summary>The best trial of the search (the baseline when the search found nothing better or there is no search).</summary>
    public required TrialResult Best { get; init; }

    /// <summary>The baseline recipe's trial, or null.</summary>
    public TrialResult? Baseline { get; init; }

    /// <summary>True when a higher score is better (accuracy); false for RMSE.</summary>
    public required bool HigherIsBetter { get; init; }

    /// <summary>The results folder: trials.csv, leaderboard.md, search.svg, curves/, best.mlnetdeep, experiment.json.</summary>
    public required string Directory { get; init; }
}
