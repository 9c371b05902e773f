namespace MlNetDeep.Schedules;

/// <summary>
/// Seed 000 §1.9.7 formula 2: <c>α = decay_rate^epoch_num · α0</c> (for example decay_rate = 0.95).
/// </summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="decayRate">decay_rate, in (0, 1].</param>
    public ExponentialDecay(float decayRate)
    {
        if (!(decayRate > 0f && decayRate <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(decayRate), decayRate, "The decay rate must be in (0, 1].");
        }

        DecayRate = decayRate;
    }

    /// <summary>decay_rate.</summary>
    public float DecayRate { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs) =>
        Math.Pow(DecayRate, epoch) * baseRate;
}
