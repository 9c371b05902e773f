using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class OptimizerContractTests
{
    private static IEnumerable<TestCaseData> AllOptimizers()
    {
        yield return new TestCaseData((Func<Optimizer>)(() => new GradientDescent(0.1f))).SetArgDisplayNames("GradientDescent");
        yield return new TestCaseData((Func<Optimizer>)(() => new Momentum(0.1f))).SetArgDisplayNames("Momentum");
        yield return new TestCaseData((Func<Optimizer>)(() => new Momentum(0.1f) { Form = MomentumForm.Classical })).SetArgDisplayNames("MomentumClassical");
        yield return new TestCaseData((Func<Optimizer>)(() => new Nesterov(0.1f))).SetArgDisplayNames("Nesterov");
        yield return new TestCaseData((Func<Optimizer>)(() => new RmsProp(0.1f))).SetArgDisplayNames("RmsProp");
        yield return new TestCaseData((Func<Optimizer>)(() => new Adam(0.1f))).SetArgDisplayNames("Adam");
    }

    private static Parameter[] MakeNetwork()
    {
        // An MLP-like parameter list: weights and biases of odd sizes (vector loop plus tail).
        var random = new Random(7);
        Parameter[] parameters =
        [
            new Parameter("w1", true, 13, 9), new Parameter("b1", false, 13),
            new Parameter("w2", true, 3, 13), new Parameter("b2", false, 3),
        ];
        foreach (var p in parameters)
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (float)(random.NextDouble() - 0.5);
            }
        }

        return parameters;
    }

    private static void SetGradients(Parameter[] parameters, int seed)
    {
        var random = new Random(seed);
        foreach (var p in parameters)
        {
            var span = p.Gradient.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (float)(random.NextDouble() - 0.5);
            }
        }
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void FrozenParametersDoNotMoveAndGetNoState(Func<Optimizer> create)
    {
        var optimizer = create();
        var parameters = MakeNetwork();
        parameters[2].Frozen = true;
        var frozenBefore = parameters[2].Value.Span.ToArray();
        var movingBefore = parameters[0].Value.Span.ToArray();
        for (var step = 0; step < 3; step++)
        {
            SetGradients(parameters, step);
            optimizer.Step(parameters);
        }

        Assert.That(parameters[2].Value.Span.ToArray(), Is.EqualTo(frozenBefore));
        Assert.That(parameters[0].Value.Span.ToArray(), Is.Not.EqualTo(movingBefore));
        Assert.That(optimizer.ExportState(2), Is.Empty);
        Assert.That(optimizer.Steps, Is.EqualTo(3));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void ResetClearsStateAndStepCount(Func<Optimizer> create)
    {
        var optimizer = create();
        var parameters = MakeNetwork();
        for (var step = 0; step < 3; step++)
        {
            SetGradients(parameters, step);
            optimizer.Step(parameters);
        }

        optimizer.Reset();
        Assert.That(optimizer.Steps, Is.EqualTo(0));
        Assert.That(optimizer.ExportState(0), Is.Empty);

        // After Reset the next step is a first step: the same as a fresh optimizer's.
        var copy = MakeNetwork();
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i].Value.CopyFrom(parameters[i].Value);
        }

        SetGradients(parameters, 10);
        SetGradients(copy, 10);
        optimizer.Step(parameters);
        create().Step(copy);
        for (var i = 0; i < copy.Length; i++)
        {
            Assert.That(parameters[i].Value.Span.ToArray(), Is.EqualTo(copy[i].Value.Span.ToArray()), parameters[i].Name);
        }
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void SteadyStateStepAllocatesNothing(Func<Optimizer> create)
    {
        var optimizer = create();
        var parameters = MakeNetwork();
        IReadOnlyList<Parameter> list = parameters;
        SetGradients(parameters, 1);
        for (var i = 0; i < 10; i++)
        {
            optimizer.Step(list, 0.001f);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            optimizer.Step(list, 0.001f);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.EqualTo(0), "bytes allocated by 100 steady-state steps");
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void ExportedStateResumesTheSameTrajectory(Func<Optimizer> create)
    {
        var original = create();
        var parameters = MakeNetwork();
        for (var step = 0; step < 4; step++)
        {
            SetGradients(parameters, step);
            original.Step(parameters);
        }

        // Checkpoint: values, Steps and each parameter's state, keyed by index.
        var restored = create();
        restored.Steps = original.Steps;
        var copy = MakeNetwork();
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i].Value.CopyFrom(parameters[i].Value);
            restored.ImportState(i, original.ExportState(i));
        }

        for (var step = 4; step < 7; step++)
        {
            SetGradients(parameters, step);
            SetGradients(copy, step);
            original.Step(parameters);
            restored.Step(copy);
        }

        Assert.That(restored.Steps, Is.EqualTo(7));
        for (var i = 0; i < copy.Length; i++)
        {
            Assert.That(copy[i].Value.Span.ToArray(), Is.EqualTo(parameters[i].Value.Span.ToArray()), parameters[i].Name);
        }
    }

    [Test]
    public void ExportedStateIsACopy()
    {
        var momentum = new Momentum(0.1f);
        var p = new Parameter("w", true, 2);
        p.Gradient.Fill(1f);
        momentum.Step([p]);
        var state = momentum.ExportState(0);
        state[0].Values[0] = 1000f;
        Assert.That(momentum.ExportState(0)[0].Values[0], Is.EqualTo(0.1f).Within(1e-7));
    }

    [Test]
    public void ImportStateValidatesNamesAndLengths()
    {
        var adam = new Adam();
        Assert.That(
            () => adam.ImportState(0, [("exp_avg", new float[2])]),
            Throws.ArgumentException.With.Message.Contains("exp_avg_sq"));
        Assert.That(
            () => adam.ImportState(0, [("exp_avg", new float[2]), ("velocity", new float[2])]),
            Throws.ArgumentException.With.Message.Contains("velocity"));
        Assert.That(
            () => adam.ImportState(0, [("exp_avg", new float[2]), ("exp_avg_sq", new float[3])]),
            Throws.ArgumentException);

        // A state whose length does not match the parameter is reported on the next step.
        adam.ImportState(0, [("exp_avg_sq", new float[3]), ("exp_avg", new float[3])]);
        var p = new Parameter("w", true, 2);
        Assert.That(() => adam.Step([p]), Throws.InvalidOperationException.With.Message.Contains("Reset"));
    }

    [Test]
    public void RejectsInvalidLearningRates()
    {
        Assert.That(() => new GradientDescent(-1f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Adam(float.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
        var gd = new GradientDescent(0.1f);
        Assert.That(() => gd.LearningRate = float.PositiveInfinity, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => gd.Step([new Parameter("w", true, 1)], -0.5f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => gd.Steps = -1, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => gd.Step(null!), Throws.ArgumentNullException);
    }
}
