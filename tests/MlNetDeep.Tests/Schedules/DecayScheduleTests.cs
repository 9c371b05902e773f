using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.Schedules;

public sealed class DecayScheduleTests
{
    private const double Tolerance = 1e-6;

    private static float At(LearningRateSchedule schedule, float baseRate, int epoch, long step = 1) =>
        schedule.Rate(baseRate, epoch, step, stepsPerEpoch: 100, totalEpochs: 50);

    [Test]
    public void ConstantRateNeverChanges()
    {
        var schedule = new ConstantRate();
        Assert.That(At(schedule, 0.2f, 1), Is.EqualTo(0.2).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 50, 5000), Is.EqualTo(0.2).Within(Tolerance));
    }

    [Test]
    public void InverseTimeDecayMatchesNgTable()
    {
        // α = α0/(1 + decay·epoch) with α0 = 0.2, decay = 1: 0.1, 0.067, 0.05, 0.04.
        var schedule = new InverseTimeDecay(1f);
        Assert.That(At(schedule, 0.2f, 1), Is.EqualTo(0.1).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 2), Is.EqualTo(0.0666666667).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 3), Is.EqualTo(0.05).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 4), Is.EqualTo(0.04).Within(Tolerance));
        Assert.That(At(new InverseTimeDecay(0f), 0.2f, 4), Is.EqualTo(0.2).Within(Tolerance));
    }

    [Test]
    public void ExponentialDecayIsDecayToTheEpoch()
    {
        // α = 0.95^epoch·α0: epoch 1 → 0.19, epoch 3 → 0.857375·0.2 = 0.171475.
        var schedule = new ExponentialDecay(0.95f);
        Assert.That(At(schedule, 0.2f, 1), Is.EqualTo(0.19).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 3), Is.EqualTo(0.171475).Within(Tolerance));
    }

    [Test]
    public void InverseSqrtEpochDecay()
    {
        // α = k/√epoch·α0 with k = 0.5, α0 = 0.2: epoch 1 → 0.1, epoch 4 → 0.05, epoch 25 → 0.02.
        var schedule = new InverseSqrtEpochDecay(0.5f);
        Assert.That(At(schedule, 0.2f, 1), Is.EqualTo(0.1).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 4), Is.EqualTo(0.05).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 25), Is.EqualTo(0.02).Within(Tolerance));
    }

    [Test]
    public void InverseSqrtStepDecayUsesTheMiniBatchCounter()
    {
        // α = k/√t·α0 with k = 1, α0 = 0.2: t = 1 → 0.2, t = 100 → 0.02, t = 2500 → 0.004; the epoch is ignored.
        var schedule = new InverseSqrtStepDecay(1f);
        Assert.That(At(schedule, 0.2f, 1, 1), Is.EqualTo(0.2).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 1, 100), Is.EqualTo(0.02).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 25, 2500), Is.EqualTo(0.004).Within(Tolerance));
    }

    [Test]
    public void StepDecayIsAStaircase()
    {
        // α0·0.5^⌊(epoch − 1)/10⌋: epochs 1–10 → 0.2, 11–20 → 0.1, 21 → 0.05.
        var schedule = new StepDecay(10, 0.5f);
        Assert.That(At(schedule, 0.2f, 1), Is.EqualTo(0.2).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 10), Is.EqualTo(0.2).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 11), Is.EqualTo(0.1).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 20), Is.EqualTo(0.1).Within(Tolerance));
        Assert.That(At(schedule, 0.2f, 21), Is.EqualTo(0.05).Within(Tolerance));
    }

    [Test]
    public void CosineAnnealingRunsFromBaseToMinimumOverTheRun()
    {
        // T = 101 steps: fraction (t − 1)/100; α = 0.1 + 0.9·(1 + cos(π·fraction))/2 with α0 = 1, min 0.1.
        var schedule = new CosineAnnealing(0.1f);
        float Rate(long step) => schedule.Rate(1f, 1, step, stepsPerEpoch: 101, totalEpochs: 1);
        Assert.That(Rate(1), Is.EqualTo(1.0).Within(Tolerance));
        Assert.That(Rate(26), Is.EqualTo(0.8681980515).Within(Tolerance));
        Assert.That(Rate(51), Is.EqualTo(0.55).Within(Tolerance));
        Assert.That(Rate(101), Is.EqualTo(0.1).Within(Tolerance));
        Assert.That(() => Rate(102), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("beyond"));
        Assert.That(new CosineAnnealing().Rate(0.5f, 1, 1, 1, 1), Is.EqualTo(0.5f), "a one-step run uses α0");
    }

    [Test]
    public void ConstructorsValidateArguments()
    {
        Assert.That(() => new InverseTimeDecay(-1f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("decay rate"));
        Assert.That(() => new ExponentialDecay(0f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new ExponentialDecay(1.5f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("(0, 1]"));
        Assert.That(() => new InverseSqrtEpochDecay(0f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new InverseSqrtStepDecay(float.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new StepDecay(0, 0.5f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("stepSize"));
        Assert.That(() => new StepDecay(10, 0f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("factor"));
        Assert.That(() => new CosineAnnealing(1.5f), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void RateValidatesCounters()
    {
        var schedule = new ConstantRate();
        Assert.That(() => schedule.Rate(0.1f, 0, 1, 10, 10), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("1-based"));
        Assert.That(() => schedule.Rate(0.1f, 1, 0, 10, 10), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("step"));
        Assert.That(() => schedule.Rate(0.1f, 1, 1, 0, 10), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("stepsPerEpoch"));
        Assert.That(() => schedule.Rate(0.1f, 1, 1, 10, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("totalEpochs"));
        Assert.That(() => schedule.Rate(-0.1f, 1, 1, 10, 10), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("baseRate"));
    }
}
