using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetDeep.ML;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// Image folders (issue 11): a folder with one subfolder per class as (ImagePath, Label) rows, split class by class,
/// trained end to end through LoadImages → ResizeImages → ExtractPixels → AlexNet's steps → a trainer that streams the
/// images epoch by epoch; a missing or corrupt image mid-epoch names the file and the row, or is skipped and logged.
/// </summary>
[NonParallelizable]
public class ImageFolderTests
{
    private string _root = null!;
    private string _train = null!;
    private string _test = null!;

    [OneTimeSetUp]
    public void WriteFolders()
    {
        _root = Directory.CreateTempSubdirectory("mlnetdeep-folder-").FullName;
        _train = Path.Combine(_root, "train");
        _test = Path.Combine(_root, "test");
        ImageFolders.Write(_train, ColorShapes.Generate(2000, 3));
        ImageFolders.Write(_test, ColorShapes.Generate(1000, 1003));
    }

    [OneTimeTearDown]
    public void DeleteFolders() => Directory.Delete(_root, recursive: true);

    private static IEstimator<ITransformer> Decode(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", 40, 40))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255));

    [Test]
    public void AFolderBecomesShuffledRowsOfPathAndClassAndSplitsClassByClass()
    {
        var ml = new MLContext(seed: 1);
        var all = ml.Data.LoadFromImageFolder(_train, seed: 4);
        var rows = ml.Data.CreateEnumerable<FolderRow>(all, reuseRowObject: false).ToList();
        Assert.That(rows, Has.Count.EqualTo(2000));
        Assert.That(rows.All(r => Path.GetFileName(Path.GetDirectoryName(r.ImagePath)) == r.Label && File.Exists(r.ImagePath)));
        Assert.That(rows.Take(20).Select(r => r.Label).Distinct().Count(), Is.GreaterThan(3), "rows are shuffled, not sorted by class");
        Assert.That(ml.Data.CreateEnumerable<FolderRow>(ml.Data.LoadFromImageFolder(_train, seed: 4), false).Select(r => r.ImagePath), Is.EqualTo(rows.Select(r => r.ImagePath)), "same seed, same order");

        var split = ml.Data.SplitImageFolder(_train, validationFraction: 0.2, seed: 4);
        var train = ml.Data.CreateEnumerable<FolderRow>(split.TrainSet, false).ToList();
        var validation = ml.Data.CreateEnumerable<FolderRow>(split.ValidationSet, false).ToList();
        Assert.That(split.ClassNames, Is.EqualTo(ColorShapes.ClassNames.Order(StringComparer.Ordinal)));
        Assert.That(train.Select(r => r.ImagePath).Intersect(validation.Select(r => r.ImagePath)), Is.Empty);
        Assert.That(train.Count + validation.Count, Is.EqualTo(2000));
        foreach (var group in validation.GroupBy(r => r.Label))
        {
            // Each class has 200 images: 40 held out.
            Assert.That(group.Count(), Is.EqualTo(40), group.Key);
        }
    }

    [Test]
    public void AFolderWithoutClassSubfoldersIsAnErrorSayingHowToLayItOut()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var e = Assert.Throws<ArgumentException>(() => new MLContext(1).Data.LoadFromImageFolder(empty));
        Assert.That(e!.Message, Does.Contain(empty).And.Contain("subfolder named after the class"));
        Assert.Throws<DirectoryNotFoundException>(() => new MLContext(1).Data.LoadFromImageFolder(Path.Combine(_root, "nowhere")));
    }

    [Test]
    public void TheAlexNetRecipeTrainsEndToEndFromAnImageFolderStreamingEveryEpoch()
    {
        var ml = new MLContext(seed: 0);
        var log = MlLog.Messages(ml);
        var split = ml.Data.SplitImageFolder(_train, validationFraction: 0.2, seed: 0);
        var decode = Decode(ml).Fit(split.TrainSet);
        var epochs = new List<MlNetDeep.Training.EpochResult>();
        var pipeline = Decode(ml)
            .Append(ml.Transforms.RandomCrop("Features", 32, 32))
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.Transforms.PcaColorShift(sigma: 0.1))
            .Append(ml.Transforms.NormalizeChannels())
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.SmallConvNet(),
                Optimizer = new Adam(0.01f),
                Schedule = new OneCycle(0.01f),
                NumberOfEpochs = 10,
                BatchSize = 32,
                Seed = 0,
                MemoryBudget = 4 << 20,
                ValidationSet = decode.Transform(split.ValidationSet),
                ProgressCallback = epochs.Add,
            }));

        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromImageFolder(_test, seed: 0)));

        TestContext.Out.WriteLine($"test accuracy {metrics.MicroAccuracy:P2}; validation accuracy by epoch {string.Join(", ", epochs.Select(e => $"{e.ValidationAccuracy:P1}"))}");
        Assert.That(log, Has.Some.Contains("The training data (1,600 rows, 29.3 MiB as floats) exceed the memory budget (4.0 MiB): each epoch streams them from the data view through a shuffle pool"));
        Assert.That(log, Has.Some.Contains("The validation data (400 rows").And.Contain("each epoch streams them"));
        Assert.That(epochs.Select(e => e.TrainRows), Is.All.EqualTo(1600));
        Assert.That(epochs[^1].ValidationAccuracy, Is.GreaterThanOrEqualTo(0.8));
        Assert.That(metrics.MicroAccuracy, Is.GreaterThanOrEqualTo(0.8));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AMissingOrCorruptImageMidEpochNamesTheFileAndTheRowOrIsSkipped(bool skip)
    {
        // A copy of 300 images; then one is deleted and one overwritten with garbage, after the rows were listed.
        var folder = Path.Combine(_root, $"bad-{skip}");
        ImageFolders.Write(folder, ColorShapes.Generate(300, 8));
        var ml = new MLContext(seed: 0);
        var log = MlLog.Messages(ml);
        var data = ml.Data.LoadFromImageFolder(folder, seed: 2);
        var paths = ml.Data.CreateEnumerable<FolderRow>(data, false).Select(r => r.ImagePath).ToArray();
        File.Delete(paths[117]);
        File.WriteAllBytes(paths[201], [1, 2, 3, 4, 5]);
        var epochs = new List<MlNetDeep.Training.EpochResult>();
        var trainer = ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
        {
            Network = NetworkArchitecture.SmallConvNet(),
            NumberOfEpochs = 2,
            BatchSize = 32,
            Seed = 0,
            Shuffle = false,
            MemoryBudget = 1 << 20,
            SkipUnreadableRows = skip,
            ProgressCallback = epochs.Add,
        });
        var pipeline = Decode(ml).Append(trainer);

        if (!skip)
        {
            var e = Assert.Throws<InvalidDataException>(() => pipeline.Fit(data));
            Assert.That(e!.Message, Does.Contain($"Row 117 of the training data could not be read (ImagePath: '{paths[117]}')").And.Contain("Could not find file"));
            Assert.That(epochs, Is.Empty, "no epoch completed: no half-trained model");
            return;
        }

        pipeline.Fit(data);
        Assert.That(log.Where(m => m.Contains("Skipped")), Has.Exactly(1).Contains($"Row 117 of the training data could not be read (ImagePath: '{paths[117]}'"));
        Assert.That(log.Where(m => m.Contains("Skipped")), Has.Exactly(1).Contains($"Row 201 of the training data could not be read (ImagePath: '{paths[201]}'"));
        Assert.That(epochs.Select(e => e.TrainRows), Is.All.EqualTo(298));
    }

    private sealed class FolderRow
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }
}
