namespace MlNetDeep.Training;

/// <summary>
/// Early stopping (seed 000 §1.7): stop when the monitored validation loss has not improved by more than
/// <see cref="MinDelta"/> for <see cref="Patience"/> epochs, and optionally restore the best weights.
/// Without a validation set the training loss is monitored.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>The smallest decrease of the loss that counts as an improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary>When true the network ends with the weights of its best epoch.</summary>
    public bool RestoreBestWeights { get; init; } = true;
}
