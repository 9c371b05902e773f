namespace MlNetDeep.Schedules;

/// <summary>
/// Seed 000 §1.9.7 formula 1: <c>α = α0 / (1 + decay_rate·epoch_num)</c>. With α0 = 0.2 and decay_rate = 1,
/// epochs 1, 2, 3, 4 give 0.1, 0.067, 0.05, 0.04.
/// </summary>
public sealed class InverseTimeDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="decayRate">decay_rate; finite and non-negative (0 keeps α = α0).</param>
    public InverseTimeDecay(float decayRate)
    {
        if (!(decayRate >= 0f && float.IsFinite(decayRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(decayRate), decayRate, "The decay rate must be finite and non-negative.");
        }

        DecayRate = decayRate;
    }

    /// <summary>decay_rate.</summary>
    public float DecayRate { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs) =>
        baseRate / (1 + ((double)DecayRate * epoch));
}
