using MlNetDeep.Layers;

namespace MlNetDeep.Training;

/// <summary>
/// What a <see cref="TrainingCallback"/> sees of a run and may change: the network, the options, the epoch, a factor
/// on the learning rate, and a request to stop (Keras's <c>model.stop_training</c>).
/// </summary>
public sealed class TrainingContext
{
    internal TrainingContext(Layer network, TrainingOptions options)
    {
        Network = network;
        Options = options;
    }

    /// <summary>The network being trained (built). Read it, save it; do not change its structure.</summary>
    public Layer Network { get; }

    /// <summary>The options of the run.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The current 1-based epoch (0 before the first).</summary>
    public int Epoch { get; internal set; }

    /// <summary>
    /// Multiplies every learning rate from the next mini-batch on: the rate of the schedule (or the optimizer's base rate)
    /// times this factor. 1 at the start; <see cref="ReduceLearningRateOnPlateau"/> lowers it.
    /// </summary>
    public float LearningRateFactor
    {
        get;
        set => field = value > 0 && float.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRateFactor), value, "The learning-rate factor must be a finite value > 0.");
    } = 1f;

    /// <summary>Set to stop training after the current epoch (as early stopping does).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Why a callback stopped training, for the history and the logs; null when none did.</summary>
    public string? StopReason { get; set; }
}
