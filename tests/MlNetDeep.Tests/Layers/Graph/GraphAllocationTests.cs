using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Graphs;

/// <summary>No allocation per mini-batch in steady state.</summary>
public class GraphAllocationTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void ForwardAndBackwardAllocateNothingAfterWarmUp(bool computeInputGradient)
    {
        var g = new Graph();
        var stem = g.Add(new Dense(8), g.Input);
        var act = g.Add(new ReLU(), stem);
        var res = g.Add(ResidualBlock.Create(new Sequential(new Dense(8), new Tanh(), new Dense(8)), activation: new Tanh()), act);
        var wide = g.Add(InceptionBlock.Create(new Dense(3), new Sequential(new Dense(4), new Sigmoid())), act);
        var join = g.Concat([res, wide, act, g.Input]);
        var head = g.Add(new Dense(5), join);
        g.SetOutput(g.Sum([head, g.Add(new Dense(5), act)]));
        var net = new Sequential(g, new Dense(3)) { ComputeInputGradient = computeInputGradient };
        net.Build([6], new RandomSource(1));
        var x = TestData.Random(2, 16, 6);
        var dy = TestData.Random(3, 16, 3);
        for (var i = 0; i < 3; i++)
        {
            net.Forward(x, true);
            net.Backward(dy);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++)
        {
            net.Forward(x, true);
            net.Backward(dy);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
