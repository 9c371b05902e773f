using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.Schedules;

public sealed class OneCycleTests
{
    private const double Tolerance = 1e-6;

    // 10 epochs of 10 steps: T = 100, warm-up ends at step 30 (0-based step 29).
    private static float Rate(OneCycle schedule, long step, float baseRate = 0.5f) =>
        schedule.Rate(baseRate, (int)((step - 1) / 10) + 1, step, stepsPerEpoch: 10, totalEpochs: 10);

    [Test]
    public void StartsAtMaxOver25PeaksAt30PercentAndEndsAtMaxOver25e4()
    {
        var schedule = new OneCycle(1f);
        Assert.That(Rate(schedule, 1), Is.EqualTo(0.04).Within(Tolerance));
        Assert.That(Rate(schedule, 30), Is.EqualTo(1.0).Within(Tolerance));
        Assert.That(Rate(schedule, 100), Is.EqualTo(4e-6).Within(1e-9));
    }

    [Test]
    public void FollowsPyTorchCosinePhases()
    {
        var schedule = new OneCycle(1f);

        // Phase 1, 0-based step 15 of 29: 1 + (0.04 − 1)/2·(cos(π·15/29) + 1).
        Assert.That(Rate(schedule, 16), Is.EqualTo(0.5459866761).Within(Tolerance));

        // Phase 2, 0-based step 64: fraction (64 − 29)/(99 − 29) = 0.5, so the midpoint (1 + 4e-6)/2.
        Assert.That(Rate(schedule, 65), Is.EqualTo(0.500002).Within(Tolerance));

        var previous = 0f;
        for (var step = 1; step <= 30; step++)
        {
            var rate = Rate(schedule, step);
            Assert.That(rate, Is.GreaterThan(previous), $"rising at step {step}");
            previous = rate;
        }

        for (var step = 31; step <= 100; step++)
        {
            var rate = Rate(schedule, step);
            Assert.That(rate, Is.LessThan(previous), $"falling at step {step}");
            previous = rate;
        }
    }

    [Test]
    public void IgnoresTheBaseRate()
    {
        var schedule = new OneCycle(0.1f, pctStart: 0.25f, divFactor: 10f, finalDivFactor: 100f);
        Assert.That(Rate(schedule, 1, 0f), Is.EqualTo(Rate(schedule, 1, 7f)));
        Assert.That(Rate(schedule, 1), Is.EqualTo(0.01).Within(1e-8));
        Assert.That(Rate(schedule, 25), Is.EqualTo(0.1).Within(1e-8));
        Assert.That(Rate(schedule, 100), Is.EqualTo(1e-4).Within(1e-9));
    }

    [Test]
    public void ZeroLengthWarmUpDoesNotDivideByZero()
    {
        // PctStart·T − 1 = 0: phase 1 is the single step 0, which is already at its end (the peak).
        var schedule = new OneCycle(1f, pctStart: 0.1f);
        Assert.That(schedule.Rate(1f, 1, 1, 10, 1), Is.EqualTo(1.0).Within(Tolerance));
        Assert.That(schedule.Rate(1f, 1, 10, 10, 1), Is.EqualTo(4e-6).Within(1e-9));
    }

    [Test]
    public void ValidatesArguments()
    {
        Assert.That(() => new OneCycle(0f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maxRate"));
        Assert.That(() => new OneCycle(1f, pctStart: 1.5f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("pctStart"));
        Assert.That(() => new OneCycle(1f, divFactor: 0f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("divFactor"));
        Assert.That(() => new OneCycle(1f, finalDivFactor: -1f), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("finalDivFactor"));
        Assert.That(() => Rate(new OneCycle(1f), 101), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("beyond"));
    }
}
