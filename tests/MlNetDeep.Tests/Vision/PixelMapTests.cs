using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>
/// Every geometric step says where it moved the pixels (<see cref="ImageAugmentation.Map"/>), with the same draws as
/// when it moves them, so that boxes and masks move with their image.
/// </summary>
public class PixelMapTests
{
    private static readonly ImageShape Shape = new(1, 24, 32);

    private static IEnumerable<TestCaseData> Steps()
    {
        yield return new TestCaseData(new RandomCrop(16, 20)).SetArgDisplayNames("crop");
        yield return new TestCaseData(new RandomMirror(0.5, 0.5)).SetArgDisplayNames("mirror");
        yield return new TestCaseData(new RandomTranslation(5, 4)).SetArgDisplayNames("translation");
        yield return new TestCaseData(new RandomScaling(0.7, 1.4)).SetArgDisplayNames("scaling");
        yield return new TestCaseData(new RandomRotation(25)).SetArgDisplayNames("rotation");
        yield return new TestCaseData(new AugmentationPipeline(new RandomCrop(20, 28), new RandomMirror(), new Brightness(0.1f))).SetArgDisplayNames("fused crop+mirror+brightness");
        yield return new TestCaseData(new AugmentationPipeline(new RandomMirror(), new RandomRotation(15), new RandomCrop(20, 24), new RandomTranslation(3, 3))).SetArgDisplayNames("mirror+rotation+crop+translation");
    }

    /// <summary>
    /// An image of 8 × 6 blocks of integer labels: after a step, a pixel well inside a block is its label (plus any brightness offset), and the
    /// mask moved by the step's map must have that label there — for training draws and for the scoring form.
    /// </summary>
    [TestCaseSource(nameof(Steps))]
    public void AMaskMovedByTheMapMatchesTheAugmentedImage(ImageAugmentation step)
    {
        var mask = new float[Shape.Length];
        for (var y = 0; y < Shape.Height; y++)
        {
            for (var x = 0; x < Shape.Width; x++)
            {
                mask[(y * Shape.Width) + x] = 1 + (((y / 8) * 7) + ((x / 6) * 3)) % 5;
            }
        }

        var kind = new MaskTargets(-1);
        var output = step.OutputShape(Shape);
        var compared = 0;
        for (var row = 0; row < 12; row++)
        {
            foreach (var training in new[] { true, false })
            {
                var context = new AugmentationContext(11, 2, row);
                var image = step.Apply(mask, Shape, context, training);
                var map = step.Map(Shape, context, training) ?? throw new AssertionException("the step must report its map");
                Assert.That((map.OutputHeight, map.OutputWidth), Is.EqualTo((output.Height, output.Width)));
                var moved = new float[output.Height * output.Width];
                Assert.That(step.MoveTarget(mask, [Shape.Height, Shape.Width], kind, moved, Shape, context, training), Is.True);
                for (var y = 1; y < output.Height - 1; y++)
                {
                    for (var x = 1; x < output.Width - 1; x++)
                    {
                        var i = (y * output.Width) + x;
                        // Only where the image is a label and its 3 × 3 neighbourhood is that same label (inside a block).
                        var v = image[i];
                        if (v < 0.8f || MathF.Abs(v - MathF.Round(v)) > 0.15f || !Neighbourhood(image, output, x, y, v))
                        {
                            continue;
                        }

                        Assert.That(moved[i], Is.EqualTo(MathF.Round(v)), $"row {row}, {(training ? "training" : "scoring")}, pixel ({x}, {y}) with map {map}");
                        compared++;
                    }
                }
            }
        }

        Assert.That(compared, Is.GreaterThan(12 * 2 * output.Height * output.Width / 4), "enough pixels must have been compared");
    }

    private static IEnumerable<TestCaseData> WholePixelSteps()
    {
        yield return new TestCaseData(new RandomCrop(16, 20)).SetArgDisplayNames("crop");
        yield return new TestCaseData(new RandomMirror(0.5, 0.5)).SetArgDisplayNames("mirror");
        yield return new TestCaseData(new RandomTranslation(5, 4)).SetArgDisplayNames("translation");
        yield return new TestCaseData(new AugmentationPipeline(new RandomCrop(20, 28), new RandomMirror(0.5, 0.5))).SetArgDisplayNames("fused crop+mirror");
        yield return new TestCaseData(new AugmentationPipeline(new RandomMirror(0.5, 0.5), new RandomCrop(20, 24), new RandomTranslation(3, 3))).SetArgDisplayNames("mirror+crop+translation");
    }

    /// <summary>Whole-pixel steps move every pixel exactly: a mask of random labels moved by the map is the augmented image.</summary>
    [TestCaseSource(nameof(WholePixelSteps))]
    public void WholePixelStepsMoveAMaskOfRandomLabelsExactly(ImageAugmentation step)
    {
        var random = new RandomSource(5);
        var mask = new float[Shape.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = 1 + random.NextInt(9);
        }

        var output = step.OutputShape(Shape);
        var distinct = new HashSet<string>();
        for (var row = 0; row < 16; row++)
        {
            foreach (var training in new[] { true, false })
            {
                var context = new AugmentationContext(21, 3, row);
                var image = step.Apply(mask, Shape, context, training);
                var map = step.Map(Shape, context, training)!.Value;
                distinct.Add(map.ToString());
                var moved = new float[output.Height * output.Width];
                Assert.That(step.MoveTarget(mask, [Shape.Height, Shape.Width], new MaskTargets(0), moved, Shape, context, training), Is.True);
                Assert.That(moved, Is.EqualTo(image), $"row {row}, {(training ? "training" : "scoring")}, map {map}");
            }
        }

        Assert.That(distinct, Has.Count.GreaterThan(3), "the draws must vary from row to row");
    }

    /// <summary>A filled rectangle: after a step, the bounding box of its pixels is the moved box (to 1 px for bilinear steps).</summary>
    [TestCaseSource(nameof(Steps))]
    public void ABoxMovedByTheMapBoundsTheMovedObject(ImageAugmentation step)
    {
        var (x0, y0, x1, y1) = (9, 7, 21, 15);
        var image = new float[Shape.Length];
        for (var y = y0; y < y1; y++)
        {
            image.AsSpan((y * Shape.Width) + x0, x1 - x0).Fill(1);
        }

        var kind = new BoxTargets(0);
        var output = step.OutputShape(Shape);
        var whole = step is RandomCrop or RandomMirror or RandomTranslation || (step is AugmentationPipeline p && p.Steps.All(s => s is RandomCrop or RandomMirror or Brightness));
        var boxesSeen = 0;
        for (var row = 0; row < 12; row++)
        {
            var context = new AugmentationContext(3, 1, row);
            var augmented = step.Apply(image, Shape, context, training: true);
            var map = step.Map(Shape, context, training: true)!.Value;
            float[] target = [2, x0, y0, x1, y1, -1, 0, 0, 0, 0];
            var moved = new float[target.Length];
            Assert.That(step.MoveTarget(target, [2, 5], kind, moved, Shape, context, training: true), Is.True);
            var (l, t, r, b) = (int.MaxValue, int.MaxValue, int.MinValue, int.MinValue);
            for (var y = 0; y < output.Height; y++)
            {
                for (var x = 0; x < output.Width; x++)
                {
                    if (augmented[(y * output.Width) + x] > 0.5f)
                    {
                        (l, t, r, b) = (Math.Min(l, x), Math.Min(t, y), Math.Max(r, x + 1), Math.Max(b, y + 1));
                    }
                }
            }

            Assert.That(moved[5], Is.EqualTo(-1f), "the empty slot stays empty");
            if (l == int.MaxValue)
            {
                Assert.That(moved[0], Is.EqualTo(-1f), $"row {row}: the object left the image, so must its box");
                continue;
            }

            boxesSeen++;
            Assert.That(moved[0], Is.EqualTo(2f), $"row {row}: the object is visible, its box must be kept");
            // A rotated rectangle's box is the box of its corners: the object's own pixels may sit inside it.
            var tolerance = whole ? 0 : 1.5;
            var slack = step is RandomRotation || (step is AugmentationPipeline q && q.Steps.Any(s => s is RandomRotation)) ? 4.0 : tolerance;
            Assert.That(moved[1], Is.InRange(l - slack, l + tolerance), $"row {row} xmin, map {map}");
            Assert.That(moved[2], Is.InRange(t - slack, t + tolerance), $"row {row} ymin, map {map}");
            Assert.That(moved[3], Is.InRange(r - tolerance, r + slack), $"row {row} xmax, map {map}");
            Assert.That(moved[4], Is.InRange(b - tolerance, b + slack), $"row {row} ymax, map {map}");
        }

        Assert.That(boxesSeen, Is.GreaterThan(6));
    }

    [Test]
    public void MapsComposeAndInvert()
    {
        var rotate = PixelMap.FromCentredSampling(0, -1, 1, 0, 0, 0, 10, 10); // samples (x, y) ← (cx − (y − cy), cy + (x − cx))
        var (x, y) = rotate.Apply(2, 3);
        // The output pixel (x, y) reads the input where the map sends it back: (cx − (y − cy), cy + (x − cx)) = (2, 3).
        Assert.That(4.5 - (y - 4.5), Is.EqualTo(2).Within(1e-12));
        Assert.That(4.5 + (x - 4.5), Is.EqualTo(3).Within(1e-12));
        var crop = PixelMap.Translation(-2, -1, 10, 10, 6, 7);
        var both = rotate.Then(crop);
        Assert.That(both.Apply(2, 3), Is.EqualTo((x - 2, y - 1)));
        var back = both.Inverse().Apply(x - 2, y - 1);
        Assert.That(back.X, Is.EqualTo(2).Within(1e-12));
        Assert.That(back.Y, Is.EqualTo(3).Within(1e-12));
        Assert.That((both.InputHeight, both.OutputHeight, both.OutputWidth), Is.EqualTo((10, 6, 7)));
        Assert.Throws<ArgumentException>(() => crop.Then(rotate), "a 6 × 7 output cannot feed a map from 10 × 10");
    }

    [Test]
    public void BoxesAreClippedDroppedBelowTheirVisibleFractionAndPacked()
    {
        var shift = PixelMap.Translation(-10, 0, 20, 20, 20, 20);
        float[] boxes = [0, 2, 2, 6, 6, 1, 8, 2, 18, 10, 2, 9, 1, 13, 5, -1, 0, 0, 0, 0];
        var moved = new float[boxes.Length];
        new BoxTargets(0.25).Move(boxes, [4, 5], moved, shift);
        // Box 0 leaves the image; box 1 keeps 8 of its 10 columns; box 2 keeps 3 of 4 columns (0.75 visible).
        Assert.That(moved, Is.EqualTo(new float[] { 1, 0, 2, 8, 10, 2, 0, 1, 3, 5, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0 }));
        new BoxTargets(0.8).Move(boxes, [4, 5], moved, shift);
        Assert.That(moved[..10], Is.EqualTo(new float[] { 1, 0, 2, 8, 10, -1, 0, 0, 0, 0 }), "box 2 is 0.75 visible, under 0.8");
    }

    [Test]
    public void StepsThatCannotTellTheirMapSayNull()
    {
        Assert.That(new OpaqueStep().Map(Shape, default, training: true), Is.Null);
        Assert.That(new AugmentationPipeline(new RandomMirror(), new OpaqueStep()).Map(Shape, default, training: true), Is.Null);
    }

    private static bool Neighbourhood(float[] image, ImageShape shape, int x, int y, float v)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                if (MathF.Abs(image[((y + dy) * shape.Width) + x + dx] - v) > 1e-4f)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private sealed class OpaqueStep : ImageAugmentation
    {
        public override ImageShape OutputShape(ImageShape input) => input;

        public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training) =>
            source.CopyTo(destination);
    }
}
