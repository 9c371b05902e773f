using MlNetDeep.Training;

namespace MlNetDeep.ML.Experiments;

/// <summary>What an experiment reports while it runs; every member optional.</summary>
public sealed class ExperimentProgress
{
    /// <summary>A line about the run (the data read, a round narrowed, a rung promoted).</summary>
    public Action<string>? Message { get; init; }

    /// <summary>A trial finished.</summary>
    public Action<TrialResult>? Trial { get; init; }

    /// <summary>A mini-batch of a trial finished (for a progress bar).</summary>
    public Action<BatchResult>? Batch { get; init; }
}
