using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Internal;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// Targets of any fixed shape come out of a data view the same way in memory and streamed, and a validation set that
/// gets the image steps' scoring form as it is read has its image-plane targets moved with its pixels.
/// </summary>
public class VectorTargetTests
{
    private const int ImageHeight = 6;
    private const int ImageWidth = 8;

    [TestCase(1L << 30, TestName = "in memory")]
    [TestCase(1024L, TestName = "streamed")]
    public void MaskTargetsAreReadRowByRow(long budget)
    {
        var rows = Rows(13);
        var view = new MLContext(1).Data.LoadFromEnumerable(rows);
        var input = new DataViewInput(new NeuralNetworkMulticlassTrainer.Options { MemoryBudget = budget, Shuffle = false }, new MaskReader(), new ReadSettings(false, default, null));
        using var source = input.Open(view, view.Schema["Image"], RowTransform.Identity([1, ImageHeight, ImageWidth]), "training", "unused.pixels");
        Assert.That(source.IsInMemory, Is.EqualTo(budget > 1024), "the budget decides in memory or streamed");
        Assert.That(source.TargetShape.ToArray(), Is.EqualTo(new[] { ImageHeight, ImageWidth }));
        var (features, targets) = ReadAll(source);
        for (var r = 0; r < rows.Length; r++)
        {
            Assert.That(targets[r], Is.EqualTo(rows[r].Mask), $"row {r}'s mask");
            Assert.That(features[r], Is.EqualTo(rows[r].Image), $"row {r}'s image");
        }
    }

    [TestCase(1L << 30, TestName = "validation in memory")]
    [TestCase(1024L, TestName = "validation streamed")]
    public void AValidationSetScoredAsItIsReadHasItsMasksMovedWithItsPixels(long budget)
    {
        var rows = Rows(7);
        var view = new MLContext(1).Data.LoadFromEnumerable(rows);
        var steps = new AugmentationPipeline(new RandomMirror(), new RandomCrop(4, 5));
        var input = new DataViewInput(new NeuralNetworkMulticlassTrainer.Options { MemoryBudget = budget, Shuffle = false }, new MaskReader(), new ReadSettings(false, default, null));
        using var source = input.Open(view, view.Schema["Image"], RowTransform.Score(steps, new ImageShape(1, ImageHeight, ImageWidth)), "validation", "unused.pixels");
        Assert.That(source.TargetShape.ToArray(), Is.EqualTo(new[] { 4, 5 }), "the centre crop's mask size");
        var (features, targets) = ReadAll(source);
        for (var r = 0; r < rows.Length; r++)
        {
            // The images are their own masks: the scored image and the moved mask must agree pixel for pixel.
            Assert.That(targets[r], Is.EqualTo(features[r]), $"row {r}: the mask must be cropped as the image is");
            Assert.That(targets[r], Has.Length.EqualTo(20));
        }
    }

    [Test]
    public void ThePixelCacheRefusesTargetsItCannotKeep()
    {
        var view = new MLContext(1).Data.LoadFromEnumerable(Rows(3));
        var workspace = Path.Combine(Path.GetTempPath(), "mlnetdeep-vector-" + Guid.NewGuid().ToString("N"));
        try
        {
            var input = new DataViewInput(new NeuralNetworkMulticlassTrainer.Options { WorkspacePath = workspace }, new MaskReader(), new ReadSettings(false, default, null));
            var e = Assert.Throws<NotSupportedException>(() => input.Open(view, view.Schema["Image"], RowTransform.Identity([1, ImageHeight, ImageWidth]), "training", "train.pixels"));
            Assert.That(e!.Message, Does.Contain("[6, 8]").And.Contain("WorkspacePath"));
        }
        finally
        {
            if (Directory.Exists(workspace))
            {
                Directory.Delete(workspace, recursive: true);
            }
        }
    }

    private static (List<float[]> Features, List<float[]> Targets) ReadAll(BatchSource source)
    {
        var features = new List<float[]>();
        var targets = new List<float[]>();
        using var cursor = source.Open(Enumerable.Range(0, source.Rows).ToArray(), shuffle: false, seed: 1, epoch: 0);
        var x = new Tensor([4, .. source.FeatureShape]);
        var y = new Tensor([4, .. source.TargetShape]);
        var ids = new int[4];
        int n;
        while ((n = cursor.Read(x, y, ids)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                features.Add(x.Data.AsSpan(i * x.RowSize, x.RowSize).ToArray());
                targets.Add(y.Data.AsSpan(i * y.RowSize, y.RowSize).ToArray());
            }
        }

        return (features, targets);
    }

    private static Row[] Rows(int count)
    {
        var random = new RandomSource(4);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var mask = Enumerable.Range(0, ImageHeight * ImageWidth).Select(_ => (float)random.NextInt(3)).ToArray();
            return new Row { Image = mask.ToArray(), Mask = mask };
        })];
    }

    private sealed class Row
    {
        [VectorType(1 * ImageHeight * ImageWidth)]
        public float[] Image { get; set; } = [];

        [VectorType(ImageHeight * ImageWidth)]
        public float[] Mask { get; set; } = [];
    }

    /// <summary>A mask column read as a [H, W] target that moves with the pixels.</summary>
    private sealed class MaskReader : TargetReader
    {
        public override int[] Shape => [ImageHeight, ImageWidth];

        public override SpatialTargets Spatial { get; } = new MaskTargets(-1);

        public override IReadOnlyList<DataViewSchema.Column> Columns(DataViewSchema schema) => [schema["Mask"]];

        public override string Describe(DataViewSchema schema) => "Mask";

        public override TargetGetter Bind(DataViewRow row)
        {
            var getter = row.GetGetter<VBuffer<float>>(row.Schema["Mask"]);
            VBuffer<float> buffer = default;
            return (destination, _, _) =>
            {
                getter(ref buffer);
                buffer.CopyTo(destination);
            };
        }
    }
}
