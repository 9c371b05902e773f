namespace MlNetDeep.Training;

/// <summary>
/// The per-epoch number a hook watches (Keras's <c>monitor</c>): early stopping, the best-model checkpoint and the
/// learning-rate reduction on a plateau. Losses improve downwards, accuracies upwards. Without validation data a
/// validation metric falls back to its training counterpart (the loss or accuracy of the epoch's mini-batches).
/// </summary>
public enum MonitoredMetric
{
    /// <summary>The validation loss (Keras's <c>val_loss</c>); the training loss without validation data.</summary>
    ValidationLoss,

    /// <summary>The validation accuracy (Keras's <c>val_accuracy</c>); the training accuracy without validation data.</summary>
    ValidationAccuracy,

    /// <summary>The mean loss of the epoch's mini-batches.</summary>
    TrainLoss,

    /// <summary>The accuracy of the epoch's mini-batches.</summary>
    TrainAccuracy,
}
