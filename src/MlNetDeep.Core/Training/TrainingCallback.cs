namespace MlNetDeep.Training;

/// <summary>
/// A hook into <see cref="Trainer"/> (Keras's <c>Callback</c>): called when training begins, after every mini-batch,
/// after every epoch (validation included) and when training ends. Give them in <see cref="TrainingOptions.Callbacks"/>;
/// they run in that order. Ready-made: <see cref="ModelCheckpoint"/>, <see cref="ReduceLearningRateOnPlateau"/>,
/// <see cref="CsvLogger"/>; early stopping is <see cref="TrainingOptions.EarlyStopping"/>.
/// </summary>
/// <remarks>
/// A callback instance keeps state for one run at a time; <see cref="OnTrainBegin"/> resets it, so the same instance
/// may serve several runs one after the other. <see cref="OnBatchEnd"/> runs on every mini-batch: keep it cheap and
/// free of allocations.
/// </remarks>
public abstract class TrainingCallback
{
    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnTrainBegin(TrainingContext context)
    {
    }

    /// <summary>Called after every mini-batch's update.</summary>
    public virtual void OnBatchEnd(TrainingContext context, in BatchResult batch)
    {
    }

    /// <summary>Called after every epoch, once the validation metrics are known.</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochResult epoch)
    {
    }

    /// <summary>Called once when training ends normally (not when it throws), after early stopping restored the best weights.</summary>
    public virtual void OnTrainEnd(TrainingContext context, TrainingHistory history)
    {
    }
}
