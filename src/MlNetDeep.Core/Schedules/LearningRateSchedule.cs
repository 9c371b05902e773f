namespace MlNetDeep.Schedules;

/// <summary>
/// A learning-rate schedule (seed 000 §1.9.7, "学习率衰减"): the rate α to use for a mini-batch, from the
/// base rate α0, so that training takes large steps early and finer steps near the optimum.
/// </summary>
/// <remarks>
/// Counters follow the seed: <c>epoch</c> is epoch_num, 1-based (the first pass over the data is epoch 1),
/// and <c>step</c> is t, the 1-based mini-batch counter over the whole run (the first update is step 1,
/// the last is <c>stepsPerEpoch·totalEpochs</c>). The rate is computed in double and returned as float.
/// </remarks>
public abstract class LearningRateSchedule
{
    /// <summary>Returns the learning rate for the given point of training, after validating the arguments.</summary>
    /// <param name="baseRate">The base rate α0; finite and non-negative.</param>
    /// <param name="epoch">The 1-based epoch number.</param>
    /// <param name="step">The 1-based mini-batch number over the whole run.</param>
    /// <param name="stepsPerEpoch">The number of mini-batches per epoch; at least 1.</param>
    /// <param name="totalEpochs">The number of epochs of the run; at least 1.</param>
    public float Rate(float baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs)
    {
        if (!(baseRate >= 0f && float.IsFinite(baseRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(baseRate), baseRate, "The base learning rate must be finite and non-negative.");
        }

        if (epoch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The epoch number is 1-based and must be at least 1.");
        }

        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step (mini-batch) number is 1-based and must be at least 1.");
        }

        if (stepsPerEpoch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "There must be at least one step per epoch.");
        }

        if (totalEpochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(totalEpochs), totalEpochs, "There must be at least one epoch.");
        }

        return (float)Compute(baseRate, epoch, step, stepsPerEpoch, totalEpochs);
    }

    /// <summary>Computes the rate; the arguments have been validated by <see cref="Rate"/>.</summary>
    /// <param name="baseRate">The base rate α0, finite and non-negative.</param>
    /// <param name="epoch">The 1-based epoch number.</param>
    /// <param name="step">The 1-based mini-batch number over the whole run.</param>
    /// <param name="stepsPerEpoch">The number of mini-batches per epoch, at least 1.</param>
    /// <param name="totalEpochs">The number of epochs of the run, at least 1.</param>
    protected abstract double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs);

    /// <summary>
    /// Returns the number of steps of the run, <c>stepsPerEpoch·totalEpochs</c>, after checking that
    /// <paramref name="step"/> does not exceed it (for schedules defined over the whole run).
    /// </summary>
    /// <param name="step">The 1-based step.</param>
    /// <param name="stepsPerEpoch">The number of mini-batches per epoch.</param>
    /// <param name="totalEpochs">The number of epochs of the run.</param>
    protected static long TotalSteps(long step, int stepsPerEpoch, int totalEpochs)
    {
        var total = (long)stepsPerEpoch * totalEpochs;
        if (step > total)
        {
            throw new ArgumentOutOfRangeException(
                nameof(step), step, $"Step {step} is beyond the run's {total} steps ({stepsPerEpoch} per epoch × {totalEpochs} epochs).");
        }

        return total;
    }

    /// <summary>Cosine annealing from <paramref name="start"/> (fraction 0) to <paramref name="end"/> (fraction 1).</summary>
    /// <param name="start">The value at fraction 0.</param>
    /// <param name="end">The value at fraction 1.</param>
    /// <param name="fraction">The fraction of the way, in [0, 1].</param>
    protected static double Cosine(double start, double end, double fraction) =>
        end + ((start - end) / 2 * (Math.Cos(Math.PI * fraction) + 1));
}
