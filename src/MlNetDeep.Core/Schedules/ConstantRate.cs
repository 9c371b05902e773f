namespace MlNetDeep.Schedules;

/// <summary>No decay: α = α0 throughout.</summary>
public sealed class ConstantRate : LearningRateSchedule
{
    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs) => baseRate;
}
