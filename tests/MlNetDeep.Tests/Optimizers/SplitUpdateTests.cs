using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

/// <summary>
/// The elementwise optimizers cut a large parameter into one part per thread: the values and every state array come out
/// with the same bits at 1, 2 and 3 threads, step after step, for sizes that are and are not multiples of 16.
/// </summary>
[NonParallelizable]
public class SplitUpdateTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var size in new[] { 200_704, 40_001 })
        {
            yield return new TestCaseData(() => (Optimizer)new Adam(1e-3f), size).SetArgDisplayNames("Adam", size.ToString());
            yield return new TestCaseData(() => (Optimizer)new Momentum(0.05f, 0.9f) { Form = MomentumForm.Classical }, size).SetArgDisplayNames("Momentum", size.ToString());
            yield return new TestCaseData(() => (Optimizer)new Nesterov(0.05f, 0.9f), size).SetArgDisplayNames("Nesterov", size.ToString());
            yield return new TestCaseData(() => (Optimizer)new RmsProp(1e-3f), size).SetArgDisplayNames("RmsProp", size.ToString());
            yield return new TestCaseData(() => (Optimizer)new GradientDescent(0.1f), size).SetArgDisplayNames("GradientDescent", size.ToString());
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void ALargeParameterGetsTheSameBitsAtAnyThreadCount(Func<Optimizer> create, int size)
    {
        List<(string, float[])> Run()
        {
            var optimizer = create();
            var weight = new Parameter("weight", true, size);
            var bias = new Parameter("bias", false, 10);
            for (var i = 0; i < size; i++)
            {
                weight.Value.Data[i] = MathF.Sin(i);
            }

            for (var step = 1; step <= 3; step++)
            {
                for (var i = 0; i < size; i++)
                {
                    weight.Gradient.Data[i] = MathF.Cos((i * 0.37f) + step) * (i % 7 == 0 ? 1e-6f : 1f);
                }

                bias.Gradient.Fill(0.5f * step);
                optimizer.Step([weight, bias]);
            }

            return [("weight", weight.Value.Data), ("bias", bias.Value.Data), .. optimizer.ExportState(0).Select(s => (s.Name, s.Values))];
        }

        var expected = ThreadCounts.With(1, Run);
        Assert.That(expected[0].Item2.Distinct().Count(), Is.GreaterThan(size / 2), "the update changed the weights");
        foreach (var degree in ThreadCounts.Degrees.Skip(1))
        {
            ThreadCounts.AssertSameBits(expected, ThreadCounts.With(degree, Run), $"{degree} threads");
        }
    }
}
