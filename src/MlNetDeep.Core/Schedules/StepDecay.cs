namespace MlNetDeep.Schedules;

/// <summary>
/// Seed 000 §1.9.7 formula 5, a discrete staircase: <c>α = α0 · factor^⌊(epoch − 1)/stepSize⌋</c>, so α0 for
/// the first <c>stepSize</c> epochs, then α0·factor, and so on (PyTorch's <c>StepLR</c> with 1-based epochs).
/// </summary>
public sealed class StepDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="stepSize">The number of epochs per stair; at least 1.</param>
    /// <param name="factor">The multiplier applied at each stair, in (0, 1].</param>
    public StepDecay(int stepSize, float factor)
    {
        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The number of epochs per stair must be at least 1.");
        }

        if (!(factor > 0f && factor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The decay factor must be in (0, 1].");
        }

        StepSize = stepSize;
        Factor = factor;
    }

    /// <summary>The number of epochs per stair.</summary>
    public int StepSize { get; }

    /// <summary>The multiplier applied at each stair.</summary>
    public float Factor { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs) =>
        baseRate * Math.Pow(Factor, (epoch - 1) / StepSize);
}
