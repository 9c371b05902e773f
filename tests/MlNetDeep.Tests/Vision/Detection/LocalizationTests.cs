using MlNetDeep.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>The seed's classification-with-localisation target y = [pc, bx, by, bh, bw, c1, c2, c3] and its piecewise loss.</summary>
public class LocalizationTests
{
    [Test]
    public void TheSeedsCarTargetIsEncodedAndDecoded()
    {
        // The seed's example: a car (class 2 of pedestrian, car, motorcycle) centred at (0.5, 0.7), 0.3 high and 0.4 wide.
        var car = BoundingBox.FromCentre(50, 70, 40, 30);
        var y = new float[8];

        Localization.Encode(car, 1, 100, 100, y);

        Assert.That(y, Is.EqualTo(new[] { 1f, 0.5f, 0.7f, 0.3f, 0.4f, 0f, 1f, 0f }).Within(1e-6f));
        var decoded = Localization.Decode(y, 100, 100);
        Assert.That(decoded, Is.Not.Null);
        Assert.That(decoded!.Value.ClassIndex, Is.EqualTo(1));
        Assert.That(Boxes.IoU(decoded.Value.Box, car), Is.EqualTo(1f).Within(1e-5));

        Localization.Encode(null, 0, 100, 100, y);
        Assert.That(y, Is.All.EqualTo(0f));
        Assert.That(Localization.Decode(y, 100, 100), Is.Null);
    }

    [Test]
    public void WithoutAnObjectOnlyPcCounts()
    {
        // pc = 0: the other target values are "don't care" — changing them or the box/class outputs changes nothing.
        var z = new Tensor([0.3f, 9f, -4f, 2f, 7f, 5f, -1f, 3f], 1, 8);
        var y = new Tensor([0f, 0.5f, 0.7f, 0.3f, 0.4f, 0f, 1f, 0f], 1, 8);
        var g = new Tensor(1, 8);

        var cost = new LocalizationLoss().Compute(z, y, g);

        Assert.That(cost, Is.EqualTo(Math.Log(1 + Math.Exp(0.3))).Within(1e-6), "−ln(1 − σ(z₀))");
        Assert.That(g[0], Is.EqualTo(1 / (1 + Math.Exp(-0.3))).Within(1e-6), "σ(z₀) − 0");
        Assert.That(g.Span[1..].ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void WithAnObjectLogisticSquaredAndSoftmaxLossesAdd()
    {
        var z = new Tensor([0.3f, 0.4f, 0.9f, 0.2f, 0.1f, 1f, 2f, 0.5f], 1, 8);
        var y = new Tensor([1f, 0.5f, 0.7f, 0.3f, 0.4f, 0f, 1f, 0f], 1, 8);

        var cost = new LocalizationLoss().Compute(z, y, null);

        var logistic = Math.Log(1 + Math.Exp(-0.3));
        var squared = (0.1 * 0.1) + (0.2 * 0.2) + (0.1 * 0.1) + (0.3 * 0.3);
        var softmax = -Math.Log(Math.Exp(2) / (Math.Exp(1) + Math.Exp(2) + Math.Exp(0.5)));
        Assert.That(cost, Is.EqualTo(logistic + squared + softmax).Within(1e-6));
    }

    [Test]
    public void LocalizationLossPassesGradientCheck()
    {
        var net = new Sequential(new Dense(6), new MlNetDeep.Layers.Activations.Tanh(), new Dense(8));
        net.Build([5], new RandomSource(3));
        var x = TestData.Random(4, 6, 5);
        var y = new Tensor(6, 8);
        var random = new RandomSource(8);
        for (var r = 0; r < 6; r++)
        {
            var box = r % 3 == 0 ? (BoundingBox?)null : BoundingBox.FromCentre(20 + (60 * random.NextFloat()), 20 + (60 * random.NextFloat()), 10 + (30 * random.NextFloat()), 10 + (30 * random.NextFloat()));
            Localization.Encode(box, r % 3, 100, 100, y.Row(r));
        }

        var result = GradientCheck.Run(net, new LocalizationLoss(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void ABadTargetIsNamed()
    {
        var y = new Tensor([1f, 0.5f, 0.5f, 0.2f, 0.2f, 1f, 1f, 0f], 1, 8);

        Assert.That(new LocalizationLoss().Validate(y, 8), Does.Contain("row 0").And.Contain("2 classes"));
        Assert.That(new LocalizationLoss().Validate(y, 9), Does.Contain("expected 9"));
    }
}
