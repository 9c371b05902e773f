using MlNetDeep.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>YOLO's grid target (the seed's 3 × 3 × 2 × 8), decoding, the loss and its gradient.</summary>
public class YoloTests
{
    // The seed's setting: a 3 × 3 grid, two anchors (a tall one for pedestrians, a wide one for cars), three classes.
    private static YoloGrid SeedGrid() => new(90, 90, 3, [(20f, 40f), (40f, 20f)], 3);

    // A pedestrian and a car whose centres fall in the same (middle) cell: the case anchor boxes exist for.
    private static float[] TwoObjects() =>
    [
        0, 37, 32, 53, 68,    // pedestrian: centre (45, 50), 16 wide, 36 high
        1, 28, 46, 68, 64,    // car: centre (48, 55), 40 wide, 18 high
        -1, 0, 0, 0, 0,
    ];

    [Test]
    public void TheSeedsTwoObjectImageEncodesTo3x3x2x8()
    {
        var grid = SeedGrid();
        var y = new float[grid.TargetLength];

        var encoded = grid.Encode(TwoObjects(), y);

        Assert.That(grid.TargetShape, Is.EqualTo(new[] { 3, 3, 2, 8 }));
        Assert.That(y, Has.Length.EqualTo(144));
        Assert.That(encoded, Is.EqualTo(2));

        // Cell (1, 1): anchor 1 (tall) holds the pedestrian, anchor 2 (wide) the car; offsets and sizes in cells of 30 px.
        Assert.That(y.AsSpan(grid.TargetOffset(1, 1, 0), 8).ToArray(), Is.EqualTo(new[] { 1f, 0.5f, 50f / 30 - 1, 36f / 30, 16f / 30, 1, 0, 0 }).Within(1e-6f));
        Assert.That(y.AsSpan(grid.TargetOffset(1, 1, 1), 8).ToArray(), Is.EqualTo(new[] { 1f, 48f / 30 - 1, 55f / 30 - 1, 18f / 30, 40f / 30, 0, 1, 0 }).Within(1e-6f));

        // Every other cell is y = [0, …, 0] for both anchors.
        var others = y.ToList();
        others.RemoveRange(grid.TargetOffset(1, 1, 0), 16);
        Assert.That(others, Is.All.EqualTo(0f));
    }

    [Test]
    public void DecodingTheTargetGivesTheBoxesBack()
    {
        var grid = SeedGrid();
        var y = new float[grid.TargetLength];
        grid.Encode(TwoObjects(), y);

        var decoded = grid.DecodeTarget(y);

        Assert.That(decoded, Has.Count.EqualTo(2));
        Assert.That(decoded[0].ClassIndex, Is.EqualTo(0));
        Assert.That(decoded[1].ClassIndex, Is.EqualTo(1));
        AssertBox(decoded[0].Box, new BoundingBox(37, 32, 53, 68));
        AssertBox(decoded[1].Box, new BoundingBox(28, 46, 68, 64));
    }

    [Test]
    public void AThirdObjectInAFullCellIsNotEncoded()
    {
        var grid = SeedGrid();
        var objects = TwoObjects();
        objects[10] = 2;
        objects[11] = 40;
        objects[12] = 40;
        objects[13] = 50;
        objects[14] = 50;

        Assert.That(grid.Encode(objects, new float[grid.TargetLength]), Is.EqualTo(2));
    }

    [Test]
    public void OutputsDecodeThroughConfidenceFilterAndPerClassNms()
    {
        // A third anchor lets the middle cell predict the pedestrian twice.
        var grid = new YoloGrid(90, 90, 3, [(20f, 40f), (40f, 20f), (18f, 34f)], 3);
        var output = new float[grid.AnchorCount * grid.ValuesPerAnchor * 9];
        Array.Fill(output, -10f); // no object anywhere

        // Cell (1, 1): anchor 0 the pedestrian (pc = σ(4)), anchor 1 the car, anchor 2 an almost identical pedestrian with
        // a lower score (suppressed by NMS); anchor 1 of cell (0, 0) a weak car (dropped by the confidence filter).
        Set(grid, output, 1, 1, 0, objectness: 4, box: new BoundingBox(37, 32, 53, 68), cls: 0);
        Set(grid, output, 1, 1, 1, objectness: 3, box: new BoundingBox(28, 46, 68, 64), cls: 1);
        Set(grid, output, 1, 1, 2, objectness: 2, box: new BoundingBox(38, 33, 54, 68), cls: 0);
        Set(grid, output, 0, 0, 1, objectness: -3, box: new BoundingBox(0, 0, 30, 20), cls: 1);

        var all = new List<DetectedObject>();
        grid.DecodeAll(output, 0.01f, all);
        var detections = grid.Decode(output, scoreThreshold: 0.3f, iouThreshold: 0.5f);

        Assert.That(all, Has.Count.EqualTo(4));
        Assert.That(detections, Has.Count.EqualTo(2));
        Assert.That(detections[0].ClassIndex, Is.EqualTo(0));
        AssertBox(detections[0].Box, new BoundingBox(37, 32, 53, 68));
        Assert.That(detections[0].Score, Is.EqualTo(1 / (1 + Math.Exp(-4))).Within(1e-4), "pc·P(class), P(class) ≈ 1");
        Assert.That(detections[1].ClassIndex, Is.EqualTo(1));
        AssertBox(detections[1].Box, new BoundingBox(28, 46, 68, 64));
    }

    [Test]
    public void YoloLossPassesGradientCheck()
    {
        var grid = new YoloGrid(24, 24, 3, [(6f, 10f), (12f, 6f)], 3);
        var network = new Sequential(new Conv2D(8, 3, padding: Padding.Same), new MlNetDeep.Layers.Activations.Tanh(), new Conv2D(grid.AnchorCount * grid.ValuesPerAnchor, 1));
        network.Build([2, 3, 3], new RandomSource(2));
        var x = TestData.Random(3, 4, 2, 3, 3);
        var targets = new Tensor(
        [
            0, 1, 1, 7, 12, 1, 10, 12, 22, 18, -1, 0, 0, 0, 0,
            2, 2, 14, 10, 22, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0,
            -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0,
            1, 3, 3, 20, 9, 2, 15, 15, 23, 23, 0, 16, 2, 20, 10,
        ], 4, 3, 5);

        var result = GradientCheck.Run(network, new YoloLoss(grid, coordinateWeight: 5f, noObjectWeight: 0.5f), x, targets);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void TheLossIsZeroOnlyWhereThePredictionMatchesTheTarget()
    {
        // A near-perfect output (logits ±12, exact box offsets) costs almost nothing; moving one box costs more.
        var grid = SeedGrid();
        var output = new Tensor(1, grid.AnchorCount * grid.ValuesPerAnchor, 3, 3);
        output.Fill(-12f);
        Set(grid, output.Data, 1, 1, 0, objectness: 12, box: new BoundingBox(37, 32, 53, 68), cls: 0, confidence: 12);
        Set(grid, output.Data, 1, 1, 1, objectness: 12, box: new BoundingBox(28, 46, 68, 64), cls: 1, confidence: 12);
        var target = new Tensor(TwoObjects(), 1, 3, 5);
        var loss = new YoloLoss(grid);

        var perfect = loss.Compute(output, target, null);
        Set(grid, output.Data, 1, 1, 1, objectness: 12, box: new BoundingBox(30, 46, 70, 64), cls: 1, confidence: 12);
        var moved = loss.Compute(output, target, null);

        Assert.That(perfect, Is.LessThan(1e-3));
        Assert.That(moved, Is.GreaterThan(perfect + 1e-3));
        Assert.That(loss.Validate(new Tensor([5, 0, 0, 10, 10], 1, 1, 5), 144), Does.Contain("class 5"));
        Assert.That(loss.Validate(new Tensor([1, 10, 0, 5, 10], 1, 1, 5), 144), Does.Contain("xmin < xmax"));
    }

    // Writes the raw outputs that decode to box, class and σ(objectness) at one anchor of one cell.
    private static void Set(YoloGrid grid, float[] output, int row, int column, int anchor, float objectness, BoundingBox box, int cls, float confidence = 6f)
    {
        var plane = grid.GridSize * grid.GridSize;
        var at = (row * grid.GridSize) + column;
        var channel = anchor * grid.ValuesPerAnchor;
        static float Logit(float p) => MathF.Log(p / (1 - p));
        output[(channel * plane) + at] = objectness;
        output[((channel + 1) * plane) + at] = Logit((box.CentreX / grid.CellWidth) - column);
        output[((channel + 2) * plane) + at] = Logit((box.CentreY / grid.CellHeight) - row);
        output[((channel + 3) * plane) + at] = MathF.Log(box.Height / grid.Anchors[anchor].Height);
        output[((channel + 4) * plane) + at] = MathF.Log(box.Width / grid.Anchors[anchor].Width);
        for (var c = 0; c < grid.ClassCount; c++)
        {
            output[((channel + YoloGrid.BoxValues + c) * plane) + at] = c == cls ? confidence : -confidence;
        }
    }

    private static void AssertBox(BoundingBox actual, BoundingBox expected)
    {
        Assert.That(new[] { actual.XMin, actual.YMin, actual.XMax, actual.YMax }, Is.EqualTo(new[] { expected.XMin, expected.YMin, expected.XMax, expected.YMax }).Within(1e-4f));
    }
}
