namespace MlNetDeep.Training;

/// <summary>
/// Early stopping (seed 000 §1.7): stop when the monitored metric (the validation loss unless
/// <see cref="Monitor"/> says otherwise) has not improved by more than <see cref="MinDelta"/> for <see cref="Patience"/>
/// epochs, and optionally restore the best weights. Without a validation set the training counterpart is monitored.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>The metric watched: the validation loss (the default) or accuracy, or a training one.</summary>
    public MonitoredMetric Monitor { get; init; } = MonitoredMetric.ValidationLoss;

    /// <summary>The smallest change of the monitored metric that counts as an improvement (a decrease of a loss, an increase of an accuracy).</summary>
    public double MinDelta { get; init; }

    /// <summary>When true the network ends with the weights of its best epoch.</summary>
    public bool RestoreBestWeights { get; init; } = true;
}
