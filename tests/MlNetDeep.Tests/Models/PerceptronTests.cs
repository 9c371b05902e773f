using MlNetDeep.Models;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Models;

public class PerceptronTests
{
    private static readonly Tensor Corners = new([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], 4, 2);

    [Test]
    public void LearnsLinearlySeparableAnd()
    {
        var p = new Perceptron(2);
        var result = p.Fit(Corners, [-1f, -1f, -1f, 1f]);

        Assert.That(result.Converged, Is.True, result.Message);
        Assert.That(p.Predict(Corners), Is.EqualTo(new[] { -1, -1, -1, 1 }));
    }

    [Test]
    public void ReportsThatXorIsNotLinearlySeparable()
    {
        var p = new Perceptron(2);
        var result = p.Fit(Corners, [-1f, 1f, 1f, -1f]);

        Assert.That(result.Converged, Is.False);
        Assert.That(result.ProvenNotSeparable, Is.True);
        Assert.That(result.Message, Does.Contain("not linearly separable").IgnoreCase);
    }

    [Test]
    public void FollowsTheSeedRuleStepByStep()
    {
        // Seed 002: y = +1 and WᵀX + b ≤ 0 → W += X, b += 1; y = −1 and WᵀX + b > 0 → W −= X, b −= 1.
        var p = new Perceptron(2);
        p.Fit(new Tensor([2f, 1f], 1, 2), [1f], maxEpochs: 1);
        Assert.That(p.Weights, Is.EqualTo(new[] { 2f, 1f }));
        Assert.That(p.Bias, Is.EqualTo(1f));
        p.Fit(new Tensor([1f, 1f], 1, 2), [-1f], maxEpochs: 1);
        Assert.That(p.Weights, Is.EqualTo(new[] { 1f, 0f }));
        Assert.That(p.Bias, Is.EqualTo(0f));
    }

    [Test]
    public void RejectsLabelsThatAreNotPlusOrMinusOne()
    {
        var e = Assert.Throws<ArgumentException>(() => new Perceptron(2).Fit(Corners, [1f, 2f, 1f, 0f]));
        Assert.That(e!.Message, Does.Contain("Label 2 at row 1"));
    }
}
