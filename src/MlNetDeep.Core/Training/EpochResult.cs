namespace MlNetDeep.Training;

/// <summary>What one epoch of training produced.</summary>
/// <param name="Epoch">The 1-based epoch number.</param>
/// <param name="TrainLoss">The mean cost over the <see cref="TrainRows"/> rows of the epoch's mini-batches (with the L1/L2 penalty).</param>
/// <param name="TrainAccuracy">The fraction of the <see cref="TrainRows"/> training samples classified correctly during the epoch (while the weights moved), or null for regression.</param>
/// <param name="ValidationLoss">The mean cost on the validation set after the epoch, or null without one.</param>
/// <param name="ValidationAccuracy">The validation accuracy after the epoch, or null.</param>
/// <param name="LearningRate">The learning rate used for the epoch's last update.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took, validation included.</param>
public sealed record EpochResult(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    float LearningRate,
    double Seconds)
{
    /// <summary>
    /// The rows the epoch trained on: every training row, but for a last mini-batch of one row that
    /// <see cref="Trainer"/> leaves out when a batch-normalisation layer could not normalise it, and rows that a streaming
    /// <see cref="BatchSource"/> skipped because they could not be read.
    /// </summary>
    public int TrainRows { get; init; }
}
