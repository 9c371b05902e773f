using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>Per-pixel softmax cross-entropy: values by hand, class weights, the ignore label, gradients.</summary>
public class PixelSoftmaxCrossEntropyTests
{
    [Test]
    public void EqualsTheMeanOfPerPixelCrossEntropies()
    {
        // One image of 2×2 pixels, 3 classes: each pixel is a softmax cross-entropy row.
        var logits = TestData.Random(1, 1, 3, 2, 2);
        var labels = new Tensor([0, 2, 1, 2], 1, 2, 2);
        var loss = new PixelSoftmaxCrossEntropy();

        var rows = new Tensor(4, 3);
        for (var p = 0; p < 4; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                rows[(p * 3) + c] = logits[(c * 4) + p];
            }
        }

        var expected = new SoftmaxCrossEntropy().Compute(rows, new Tensor([0, 2, 1, 2], 4), null);
        Assert.That(loss.Compute(logits, labels, null), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void ClassWeightsAndTheIgnoreLabelFollowPyTorch()
    {
        // Logits chosen so each pixel's cross-entropy is easy: equal logits give ln 3 for every pixel.
        var logits = new Tensor(1, 3, 1, 4);
        var labels = new Tensor([0, 1, 255, 2], 1, 1, 4);
        var loss = new PixelSoftmaxCrossEntropy([1f, 2f, 0.5f], ignoreLabel: 255);
        var gradient = new Tensor(1, 3, 1, 4);

        var value = loss.Compute(logits, labels, gradient);

        // torch: cross_entropy(z, y, weight=w, ignore_index=255) = Σ w_y·ln 3 / Σ w_y = ln 3.
        Assert.That(value, Is.EqualTo(Math.Log(3)).Within(1e-6));

        // ∂C/∂z_p = w_y(a − onehot(y)) / Σw with Σw = 3.5; the ignored pixel gets nothing.
        Assert.That(gradient[(0 * 4) + 0], Is.EqualTo(1f * ((1f / 3) - 1) / 3.5f).Within(1e-6f));
        Assert.That(gradient[(1 * 4) + 0], Is.EqualTo(1f * (1f / 3) / 3.5f).Within(1e-6f));
        Assert.That(gradient[(1 * 4) + 1], Is.EqualTo(2f * ((1f / 3) - 1) / 3.5f).Within(1e-6f));
        Assert.That(gradient[(2 * 4) + 3], Is.EqualTo(0.5f * ((1f / 3) - 1) / 3.5f).Within(1e-6f));
        Assert.That(new[] { gradient[2], gradient[6], gradient[10] }, Is.All.EqualTo(0f));
    }

    [Test]
    public void MasksMoveWithThePixelsAndPixelsFromOutsideAreIgnored()
    {
        var targets = new PixelSoftmaxCrossEntropy(ignoreLabel: 255).SpatialTargets;
        Assert.That(targets, Is.TypeOf<MaskTargets>());
        Assert.That(((MaskTargets)targets!).OutsideLabel, Is.EqualTo(255f));
    }

    [Test]
    public void ABatchOfIgnoredPixelsCostsNothing()
    {
        var gradient = new Tensor(2, 2, 2, 2);
        gradient.Fill(7);
        var labels = new Tensor(2, 2, 2);
        labels.Fill(-1);
        Assert.That(new PixelSoftmaxCrossEntropy().Compute(TestData.Random(1, 2, 2, 2, 2), labels, gradient), Is.Zero);
        Assert.That(gradient.Span.ToArray(), Is.All.Zero);
    }

    [Test]
    public void PassesGradientCheckWithWeightsAndIgnoredPixels()
    {
        var net = new Sequential(new Conv2D(3, 3, padding: 1));
        net.Build([2, 4, 5], new RandomSource(2));
        var x = TestData.Random(3, 2, 2, 4, 5);
        var labels = TestData.Labels(4, 2 * 4 * 5, 3);
        labels.Reshape(2, 4, 5);
        labels[3] = -1;
        labels[17] = -1;

        var result = GradientCheck.Run(net, new PixelSoftmaxCrossEntropy([0.5f, 1f, 3f]), x, labels);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void OutOfRangeLabelsAreReportedWithRowAndPixel()
    {
        var loss = new PixelSoftmaxCrossEntropy();
        var labels = new Tensor(2, 2, 2);
        labels[6] = 3;
        Assert.That(loss.Validate(labels, 3 * 4), Does.Contain("label 3 at row 1, pixel 2").And.Contain("0..2"));
        Assert.That(loss.Validate(new Tensor(2, 5), 3 * 4), Does.Contain("does not divide"));
        Assert.That(() => loss.Compute(new Tensor(2, 3, 2, 2), labels, null), Throws.ArgumentException.With.Message.Contains("row 1, pixel 2"));
        Assert.That(new PixelSoftmaxCrossEntropy([1f, 1f]).Validate(new Tensor(2, 2, 2), 12), Does.Contain("2 class weights for 3 classes"));
    }
}
