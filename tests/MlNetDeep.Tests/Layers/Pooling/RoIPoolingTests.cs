using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Onnx;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using Tensor = MlNetDeep.Tensors.Tensor;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>Fast R-CNN's RoI pooling: hand-computed bins, the routed gradient and a gradient check.</summary>
public class RoIPoolingTests
{
    [Test]
    public void EachRegionIsSplitIntoAFixedGridAndMaxPooled()
    {
        var layer = new RoIPooling(2, 2, 1f);
        layer.Build([1, 4, 4], new RandomSource(0));
        var map = new Tensor([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 1, 4, 4);
        layer.SetRegions(new Tensor([0, 0, 0, 3, 3, 0, 1, 1, 2, 2, 0, 2, 0, 3, 0], 3, 5));

        var pooled = layer.Forward(map, training: false);

        // Whole map: 2×2 bins of 2×2 cells → 5, 7, 13, 15. Centre 2×2: one cell a bin → 5, 6, 9, 10. A 2×1 strip
        // (x 2..3, y 0): bins of one column, one row spread over two output rows → 2, 3, 2, 3.
        Assert.That(pooled.Shape.ToArray(), Is.EqualTo(new[] { 3, 1, 2, 2 }));
        Assert.That(pooled.Span.ToArray(), Is.EqualTo(new float[] { 5, 7, 13, 15, 5, 6, 9, 10, 2, 3, 2, 3 }));

        var dx = layer.Backward(new Tensor([.. Enumerable.Repeat(1f, 12)], 3, 1, 2, 2));
        var expected = new float[16];
        foreach (var i in new[] { 5, 7, 13, 15, 5, 6, 9, 10, 2, 3, 2, 3 })
        {
            expected[i]++;
        }

        Assert.That(dx.Span.ToArray(), Is.EqualTo(expected), "each bin's gradient goes to its maximum, summed over regions");
    }

    [Test]
    public void RoIPoolingPassesGradientCheck()
    {
        var roi = new RoIPooling(2, 3, 0.5f);
        var network = new Sequential(roi, new Flatten(), new Dense(3));
        network.Build([3, 8, 8], new RandomSource(5));
        roi.SetRegions(new Tensor([0, 0, 0, 15, 15, 0, 2, 4, 9, 12, 1, 5, 1, 14, 7, 1, 0, 8, 6, 15], 4, 5));
        var x = TestData.Random(6, 2, 3, 8, 8);
        var y = TestData.Labels(7, 4, 3);

        var result = GradientCheck.Run(network, new SoftmaxCrossEntropy(), x, y, epsilon: 1e-3);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void ARegionNamingAMissingImageIsAnError()
    {
        var layer = new RoIPooling(2, 2, 1f);
        layer.Build([1, 4, 4], new RandomSource(0));
        layer.SetRegions(new Tensor([3, 0, 0, 2, 2], 1, 5));

        Assert.That(() => layer.Forward(new Tensor(2, 1, 4, 4), training: false), Throws.ArgumentException.With.Message.Contains("image 3").And.Message.Contains("2 images"));
    }

    [Test]
    public void ANetworkHoldingRoIPoolingSavesAndLoadsWithEqualOutputs()
    {
        var (network, roi) = PooledNetwork();
        var regions = Regions();
        roi.SetRegions(regions);
        var x = TestData.Random(8, 2, 3, 8, 8);
        var before = network.Forward(x, training: false).Span.ToArray();
        using var stream = new MemoryStream();
        NetworkFile.Save(network, stream);
        stream.Position = 0;

        var loaded = (Sequential)NetworkFile.Load(stream);
        var loadedRoi = loaded.Layers.OfType<RoIPooling>().Single();
        Assert.That((loadedRoi.OutputHeight, loadedRoi.OutputWidth, loadedRoi.SpatialScale), Is.EqualTo((2, 3, 0.5f)));
        Assert.That(loadedRoi.Regions, Is.Null, "regions are data of each call, not saved");
        loadedRoi.SetRegions(regions);

        Assert.That(loaded.Forward(x, training: false).Span.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void OnnxRuntimeMaxRoiPoolReproducesTheLayerOnFedRegions()
    {
        var (network, roi) = PooledNetwork();
        roi.SetRegions(new Tensor([0, 0, 0, 3, 3], 1, 5));
        var model = OnnxExport.ToBytes(network);
        var x = TestData.Random(8, 2, 3, 8, 8);

        // Regions other than the exported default: fed through the graph's "rois" input, four regions from a batch of two.
        var regions = Regions();
        roi.SetRegions(regions);
        var ours = network.Forward(x, training: false).Span.ToArray();
        using var session = new InferenceSession(model);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.Span.ToArray(), [2, 3, 8, 8])),
            NamedOnnxValue.CreateFromTensor("rois", new DenseTensor<float>(regions.Span.ToArray(), [4, 5])),
        ]);
        var theirs = results.Single(r => r.Name == "output").AsTensor<float>().ToArray();

        Assert.That(theirs.Length, Is.EqualTo(ours.Length));
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.That(theirs[i], Is.EqualTo(ours[i]).Within(1e-4f * (1 + Math.Abs(ours[i]))), $"output {i}");
        }
    }

    private static Tensor Regions() => new([0, 0, 0, 15, 15, 0, 2, 4, 9, 12, 1, 5, 1, 14, 7, 1, 0, 8, 6, 15], 4, 5);

    private static (Sequential Network, RoIPooling RoI) PooledNetwork()
    {
        var roi = new RoIPooling(2, 3, 0.5f);
        var network = new Sequential(new Conv2D(4, 3, padding: Padding.Same), new ReLU(), roi, new Flatten(), new Dense(3));
        network.Build([3, 8, 8], new RandomSource(5));
        return (network, roi);
    }
}
