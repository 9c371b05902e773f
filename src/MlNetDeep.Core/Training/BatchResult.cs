namespace MlNetDeep.Training;

/// <summary>
/// Where training stands after one mini-batch: what a progress bar shows (Keras's per-batch logs). A value type, so that
/// reporting every mini-batch allocates nothing.
/// </summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="Batch">The 1-based mini-batch within the epoch.</param>
/// <param name="BatchesPerEpoch">The mini-batches an epoch has.</param>
/// <param name="Rows">The rows trained so far in this epoch.</param>
/// <param name="Loss">The mean cost over the epoch's rows so far (with the L1/L2 penalty), as <see cref="EpochResult.TrainLoss"/> will be at the end.</param>
/// <param name="Accuracy">The fraction of the epoch's rows so far classified correctly, or null for regression.</param>
/// <param name="LearningRate">The learning rate of this mini-batch's update.</param>
/// <param name="Seconds">Wall-clock seconds since the epoch began.</param>
public readonly record struct BatchResult(
    int Epoch,
    int Batch,
    int BatchesPerEpoch,
    int Rows,
    double Loss,
    double? Accuracy,
    float LearningRate,
    double Seconds);
