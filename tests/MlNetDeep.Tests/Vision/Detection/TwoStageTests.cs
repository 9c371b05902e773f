using System.Diagnostics;
using MlNetDeep.Optimizers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>Faster R-CNN in miniature: anchors and deltas, the proposals, the two losses' gradients, and training on the generated scenes.</summary>
public class TwoStageTests
{
    private static readonly (float, float)[] Shapes = [(12, 12), (20, 14), (28, 28)];

    [Test]
    public void DeltasTakeTheReferenceToTheBoxAndBack()
    {
        var grid = new AnchorGrid(64, 64, 8, Shapes);
        Assert.That(grid.Count, Is.EqualTo(3 * 8 * 8));

        // Anchor 1·64 + 2·8 + 3 is the second shape on row 2, column 3: centre (28, 20).
        Assert.That(grid.Anchor(64 + 19), Is.EqualTo(new BoundingBox(18, 13, 38, 27)));
        var reference = new BoundingBox(10, 10, 30, 20);
        var box = new BoundingBox(12, 8, 52, 18);
        Span<float> t = stackalloc float[4];
        AnchorGrid.Encode(reference, box, t);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 0.6f, -0.2f, MathF.Log(2), 0f }).Within(1e-6f));
        var back = AnchorGrid.Apply(reference, t[0], t[1], t[2], t[3]);
        Assert.That(new[] { back.XMin, back.YMin, back.XMax, back.YMax }, Is.EqualTo(new[] { 12f, 8f, 52f, 18f }).Within(1e-4f));
    }

    [Test]
    public void EveryImageGetsRProposalsThinnedByNonMaxSuppression()
    {
        var settings = Settings(regions: 12);
        var network = new TwoStageNetwork(settings);
        network.Build([3, 64, 64], new RandomSource(2));
        var images = DetectionScenes.Generate(3, 4).Images;

        var output = network.Forward(images, training: false);

        Assert.That(output.Shape.ToArray(), Is.EqualTo(new[] { 3, settings.OutputLength }));
        var regions = network.Proposals!;
        Assert.That(regions.Rows, Is.EqualTo(3 * 12));
        for (var i = 0; i < 3; i++)
        {
            var boxes = Enumerable.Range(0, 12).Select(k => regions.Row((i * 12) + k).ToArray()).ToArray();
            Assert.That(boxes.All(b => b[0] == i), "each image's regions name it");
            Assert.That(boxes.All(b => b[1] >= 0 && b[2] >= 0 && b[3] <= 64 && b[4] <= 64 && b[3] - b[1] >= 1 && b[4] - b[2] >= 1), "clipped, at least 1 px");
            var overlapping = 0;
            for (var a = 0; a < 12; a++)
            {
                for (var b = a + 1; b < 12; b++)
                {
                    overlapping += Boxes.IoU(Box(boxes[a]), Box(boxes[b])) > settings.ProposalIoU ? 1 : 0;
                }
            }

            Assert.That(overlapping, Is.Zero, "no two kept proposals overlap by more than the NMS IoU");
            Assert.That(output.Row(i).Slice(settings.RegionOffset(0), 4).ToArray(), Is.EqualTo(boxes[0][1..]), "the output carries the proposals");
        }
    }

    [Test]
    public void InTrainingTheTrueBoxesTakeTheLastProposalSlots()
    {
        var settings = Settings(regions: 8);
        var network = new TwoStageNetwork(settings);
        network.Build([3, 64, 64], new RandomSource(2));
        var scenes = DetectionScenes.Generate(2, 5);
        var plain = network.Forward(scenes.Images, training: false).Span.ToArray();
        network.SetTrainingTargets(scenes.Targets);
        Assert.That(network.Forward(scenes.Images, training: false).Span.ToArray(), Is.EqualTo(plain), "a forward pass that is not training ignores the targets");

        network.SetTrainingTargets(scenes.Targets);
        network.Forward(scenes.Images, training: true);
        for (var i = 0; i < 2; i++)
        {
            var truth = scenes.Objects(i);
            for (var o = 0; o < Math.Min(truth.Count, 4); o++)
            {
                Assert.That(Box(network.Proposals!.Row((i * 8) + 7 - o).ToArray()), Is.EqualTo(truth[o].Box), $"image {i} object {o}");
            }
        }

        // The targets serve one training pass only.
        network.Forward(scenes.Images, training: true);
        Assert.That(Box(network.Proposals!.Row(7).ToArray()), Is.Not.EqualTo(scenes.Objects(0)[0].Box));
    }

    [Test]
    public void ASavedNetworkGivesTheSameOutputs()
    {
        var settings = Settings(regions: 6);
        var network = new TwoStageNetwork(settings);
        network.Build([3, 64, 64], new RandomSource(3));
        var images = DetectionScenes.Generate(2, 9).Images;
        var before = network.Forward(images, training: false).Span.ToArray();

        using var stream = new MemoryStream();
        NetworkFile.Save(network, stream);
        stream.Position = 0;
        var loaded = NetworkFile.Load(stream);

        Assert.That(loaded, Is.TypeOf<TwoStageNetwork>());
        Assert.That(((TwoStageNetwork)loaded).Settings.Grid.Anchors, Is.EqualTo(settings.Grid.Anchors));
        Assert.That(loaded.Forward(images, training: false).Span.ToArray(), Is.EqualTo(before));
        Assert.That(NetworkFile.Clone(network).Forward(images, training: false).Span.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void TheTargetsOfAnchorsAndProposalsPointAtTheirObject()
    {
        var settings = Settings(regions: 4);
        var loss = new TwoStageLoss(settings);
        var grid = settings.Grid;

        // One object of class 2 exactly on anchor 83 = (18, 13, 38, 27); all outputs 0 (σ = ½, deltas 0, uniform classes).
        var truth = grid.Anchor(83);
        var target = new Tensor(1, 2, 5);
        float[] objects = [2, truth.XMin, truth.YMin, truth.XMax, truth.YMax, -1, 0, 0, 0, 0];
        objects.CopyTo(target.Span);
        var prediction = new Tensor(1, settings.OutputLength);
        BoundingBox[] proposals = [truth, new(truth.XMin + 4, truth.YMin, truth.XMax + 4, truth.YMax), new(0, 40, 10, 50), new(50, 0, 60, 8)];
        for (var k = 0; k < 4; k++)
        {
            float[] corners = [proposals[k].XMin, proposals[k].YMin, proposals[k].XMax, proposals[k].YMax];
            corners.CopyTo(prediction.Row(0).Slice(settings.RegionOffset(k), 4));
        }

        var gradient = new Tensor(1, settings.OutputLength);
        loss.Compute(prediction, target, gradient);
        var g = gradient.Row(0).ToArray();
        var plane = grid.FeatureHeight * grid.FeatureWidth;

        // RPN: anchor 83 (shape 1, cell 19) is positive with deltas 0 to reach; anchor 0, far away, is a negative.
        var at = (1 * TwoStageSettings.AnchorValues * plane) + 19;
        Assert.That(g[at], Is.LessThan(0), "the object's anchor is pushed up");
        Assert.That(new[] { g[at + plane], g[at + (2 * plane)], g[at + (3 * plane)], g[at + (4 * plane)] }, Is.All.EqualTo(0f), "its deltas are already right");
        Assert.That(g[0], Is.GreaterThan(0), "a far anchor is pushed down");

        // Head: the perfect proposal is class 2 + 1 with nothing to correct; the shifted one moves left by 4/20 of its
        // width (t_x = −0.2, scaled by 10); the far ones are background (0).
        int Logit(int k, int c) => settings.RegionOffset(k) + 4 + c;
        int Delta(int k, int c) => settings.RegionOffset(k) + 4 + settings.ClassCount + 1 + c;
        for (var k = 0; k < 2; k++)
        {
            Assert.That(g[Logit(k, 3)], Is.LessThan(0), $"proposal {k} is pushed towards class 2 + 1");
            Assert.That(new[] { g[Logit(k, 0)], g[Logit(k, 1)], g[Logit(k, 2)] }, Is.All.GreaterThan(0f), $"proposal {k}'s other classes are pushed down");
        }

        Assert.That(Enumerable.Range(0, 4).Select(c => g[Delta(0, c)]), Is.All.EqualTo(0f), "the perfect proposal has nothing to correct");
        Assert.That(g[Delta(1, 0)], Is.GreaterThan(0), "the shifted proposal's t_x is pulled to −2 (below its 0)");
        Assert.That(new[] { g[Delta(1, 1)], g[Delta(1, 2)], g[Delta(1, 3)] }, Is.All.EqualTo(0f), "same centre y, same sides");
        for (var k = 2; k < 4; k++)
        {
            Assert.That(g[Logit(k, 0)], Is.LessThan(0), $"proposal {k} is pushed towards background");
            Assert.That(Enumerable.Range(0, 4).Select(c => g[Delta(k, c)]), Is.All.EqualTo(0f), $"background proposal {k} has no box target");
        }
    }

    [Test]
    public void TheHeadsDeltasAreDecodedFromTheProposal()
    {
        var settings = Settings(regions: 2);
        var output = new float[settings.OutputLength];
        var proposal = new BoundingBox(10, 20, 30, 34);
        var box = new BoundingBox(12, 18, 52, 34);
        Span<float> t = stackalloc float[4];
        AnchorGrid.Encode(proposal, box, t);
        for (var k = 0; k < 2; k++)
        {
            var region = output.AsSpan(settings.RegionOffset(k), settings.RegionValues);
            float[] corners = [proposal.XMin, proposal.YMin, proposal.XMax, proposal.YMax];
            corners.CopyTo(region);
            region[4 + 2] = 5; // class 1 (logit 2 of K + 1 = 4, background first)
            for (var c = 0; c < 4; c++)
            {
                region[4 + 4 + c] = k == 0 ? t[c] * TwoStageSettings.DeltaScale[c] : 0;
            }
        }

        var detections = new List<DetectedObject>();
        settings.Decode(output, 0.5f, 0.99f, 10, detections);

        Assert.That(detections, Has.Count.EqualTo(2));
        Assert.That(detections.All(d => d.ClassIndex == 1), "logit 2 is class 1");
        Assert.That(detections[0].Score, Is.EqualTo(MathF.Exp(5) / (MathF.Exp(5) + 3)).Within(1e-6f));
        var decoded = detections.Select(d => d.Box).ToArray();
        Assert.That(decoded.Any(b => Math.Abs(b.XMin - 12) < 1e-4 && Math.Abs(b.YMin - 18) < 1e-4 && Math.Abs(b.XMax - 52) < 1e-4 && Math.Abs(b.YMax - 34) < 1e-4), "scaled deltas undo the scaling");
        Assert.That(decoded, Does.Contain(proposal), "zero deltas leave the proposal");
    }

    [Test]
    public void TheTwoStageLossPassesGradientCheck()
    {
        var settings = Settings(regions: 6);
        var loss = new TwoStageLoss(settings) { MinNegatives = 3 };
        var random = new RandomSource(11);
        var prediction = new Tensor(2, settings.OutputLength);
        foreach (ref var v in prediction.Span)
        {
            v = (float)((random.NextDouble() * 2) - 1);
        }

        var target = new Tensor(2, 3, 5);
        target.Span.Fill(0);
        float[][] objects = [[0, 4, 6, 18, 20], [2, 30, 28, 60, 58], [-1, 0, 0, 0, 0], [1, 10, 34, 34, 50], [-1, 0, 0, 0, 0], [-1, 0, 0, 0, 0]];
        for (var o = 0; o < objects.Length; o++)
        {
            objects[o].CopyTo(target.Data.AsSpan(o * 5, 5));
        }

        // Proposals on, near and off the objects: positives of two classes and background.
        float[][] proposals = [[5, 5, 19, 21], [28, 30, 58, 60], [40, 0, 60, 12], [12, 32, 36, 52], [0, 40, 8, 60], [30, 26, 62, 56]];
        for (var r = 0; r < 2; r++)
        {
            for (var k = 0; k < 6; k++)
            {
                proposals[(k + (3 * r)) % 6].CopyTo(prediction.Row(r).Slice(settings.RegionOffset(k), 4));
            }
        }

        Assert.That(loss.Validate(target, settings.OutputLength), Is.Null);
        var gradient = new Tensor(prediction.Shape.ToArray());
        var cost = loss.Compute(prediction, target, gradient);
        Assert.That(cost, Is.GreaterThan(0));
        var checkedValues = 0;
        var worst = 0.0;
        for (var r = 0; r < 2; r++)
        {
            for (var j = 0; j < settings.OutputLength; j++)
            {
                var inRegion = j >= settings.RpnLength && (j - settings.RpnLength) % settings.RegionValues < 4;
                if (inRegion)
                {
                    Assert.That(gradient.Row(r)[j], Is.Zero, "proposal coordinates get no gradient");
                    continue;
                }

                var at = (r * settings.OutputLength) + j;
                var keep = prediction.Data[at];
                prediction.Data[at] = keep + 1e-3f;
                var plus = loss.Compute(prediction, target, null);
                prediction.Data[at] = keep - 1e-3f;
                var minus = loss.Compute(prediction, target, null);
                prediction.Data[at] = keep;
                var numeric = (plus - minus) / 2e-3;
                var error = Math.Abs(numeric - gradient.Data[at]) / Math.Max(1e-2, Math.Abs(numeric) + Math.Abs(gradient.Data[at]));
                worst = Math.Max(worst, error);
                checkedValues += gradient.Data[at] != 0 ? 1 : 0;
            }
        }

        TestContext.Out.WriteLine($"non-zero gradients {checkedValues}, worst relative error {worst:E2}");
        Assert.That(checkedValues, Is.GreaterThan(40), "the sample reaches objectness, anchor deltas, class logits and head deltas");
        Assert.That(worst, Is.LessThan(2e-2));
    }

    private static TwoStageSettings Settings(int regions = 16) => new(new AnchorGrid(64, 64, 8, Shapes), 3, regions, poolSize: 3, width: 8);

    private static BoundingBox Box(float[] region) => new(region[1], region[2], region[3], region[4]);
}
