namespace MlNetDeep.Training;

/// <summary>The per-epoch record of a training run.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>One entry per completed epoch.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>The epoch whose weights the network holds at the end (the best one when early stopping restored it).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>True when early stopping ended training before the last epoch.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>Why training ended before its last epoch (early stopping or a callback), or null.</summary>
    public string? StopReason { get; internal set; }

    /// <summary>The last epoch's result.</summary>
    public EpochResult Last => _epochs.Count > 0 ? _epochs[^1] : throw new InvalidOperationException("No epoch has completed.");

    internal void Add(EpochResult result) => _epochs.Add(result);
}
