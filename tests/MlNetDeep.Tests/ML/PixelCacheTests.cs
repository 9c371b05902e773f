using Microsoft.ML;
using MlNetDeep.Benchmarks.Streaming;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.ML.Internal;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// The pixel cache (issue 11): decoded rows on disk, read back by row index, so images are decoded once and shuffled
/// exactly as in memory (same seed, same model); one byte a value for 8-bit data; written atomically, and checked like
/// any untrusted file when reused.
/// </summary>
public class PixelCacheTests
{
    private const int Rows = 300;
    private const int Width = 64;
    private const long Tiny = 16 << 10;
    private string _workspace = null!;

    [SetUp]
    public void CreateWorkspace() => _workspace = Directory.CreateTempSubdirectory("mlnetdeep-cache-").FullName;

    [TearDown]
    public void DeleteWorkspace() => Directory.Delete(_workspace, recursive: true);

    private string CacheFile => Path.Combine(_workspace, "TrainSet.pixels");

    private static GeneratedImageView View(ulong seed = 5, bool eightBit = true, long failAt = -1) =>
        new(Rows, 1, 8, 8, 3, seed, eightBit) { FailAt = failAt };

    private static Layer SmallNet(int[] shape, int outputs) => new Sequential(new Conv2D(4, 3), new ReLU(), new Flatten(), new Dense(outputs));

    private NeuralNetworkMulticlassTrainer.Options Options(long budget, string? workspace, bool reuse = false) => new()
    {
        Network = SmallNet,
        Optimizer = new Adam(3e-3f),
        NumberOfEpochs = 3,
        BatchSize = 16,
        Seed = 7,
        MemoryBudget = budget,
        ValidationFraction = 0.2,
        WorkspacePath = workspace,
        ReuseCachedPixels = reuse,
    };

    private static float[] Scores(MLContext ml, ITransformer model) =>
        [.. ml.Data.CreateEnumerable<Scored>(model.Transform(View(9)), reuseRowObject: false).SelectMany(s => s.Score)];

    private static float[] Train(IDataView data, NeuralNetworkMulticlassTrainer.Options options, bool augment = false, List<string>? log = null)
    {
        var ml = new MLContext(seed: 1);
        if (log is not null)
        {
            MlLog.CollectInto(ml, log);
        }

        var trainer = ml.MulticlassClassification.Trainers.NeuralNetwork(options);
        ITransformer model = augment
            ? ml.Transforms.RandomCrop("Features", 6, 6).Append(ml.Transforms.RandomMirror()).Append(trainer).Fit(data)
            : trainer.Fit(data);
        return Scores(ml, model);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ReadingTheCacheByRowIndexTrainsTheSameModelAsInMemory(bool augment)
    {
        var inMemory = Train(View(), Options(1L << 30, null), augment);
        var view = View();
        var log = new List<string>();

        var cached = Train(view, Options(Tiny, _workspace), augment, log);

        Assert.That(log, Has.Some.Contains("each epoch reads them from the pixel cache"));
        Assert.That(view.FeaturesMade, Is.EqualTo(Rows), "each image decoded once, for the cache");
        Assert.That(cached, Is.EqualTo(inMemory));
    }

    [Test]
    public void ACacheWithinTheBudgetIsReadIntoMemoryAndTrainsTheSameModel()
    {
        var inMemory = Train(View(), Options(1L << 30, null));
        var view = View();

        var cached = Train(view, Options(1L << 30, _workspace));

        Assert.That(view.FeaturesMade, Is.EqualTo(Rows));
        Assert.That(cached, Is.EqualTo(inMemory));
    }

    [Test]
    public void EightBitDataTakeOneByteAValueAndOtherDataFour()
    {
        Train(View(), Options(Tiny, _workspace));
        Assert.That(new FileInfo(CacheFile).Length, Is.EqualTo(PixelCache.HeaderSize + (Rows * Width) + (Rows * 5)));

        Train(View(eightBit: false), Options(Tiny, _workspace));
        Assert.That(new FileInfo(CacheFile).Length, Is.EqualTo(PixelCache.HeaderSize + (Rows * Width * 4L) + (Rows * 5)));
        Assert.That(Directory.GetFiles(_workspace), Has.Length.EqualTo(1), "no temporary is left behind");
    }

    [Test]
    public void AReusedCacheDecodesNothingAndTrainsTheSameModel()
    {
        var first = Train(View(), Options(Tiny, _workspace, reuse: true));
        var view = View();
        var log = new List<string>();

        var second = Train(view, Options(Tiny, _workspace, reuse: true), log: log);

        Assert.That(view.FeaturesMade, Is.Zero);
        Assert.That(log, Has.Some.Contains($"Reusing the pixel cache '{CacheFile}'"));
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void ACacheOfOtherDataIsRebuilt()
    {
        Train(View(seed: 5), Options(Tiny, _workspace, reuse: true));
        var other = View(seed: 6);
        var log = new List<string>();

        Train(other, Options(Tiny, _workspace, reuse: true), log: log);

        Assert.That(log, Has.Some.Contains("was made from other data (other labels); rebuilding it"));
        Assert.That(other.FeaturesMade, Is.EqualTo(Rows));
    }

    [Test]
    public void WithoutReuseTheCacheIsRebuilt()
    {
        Train(View(), Options(Tiny, _workspace));
        var view = View();
        Train(view, Options(Tiny, _workspace));
        Assert.That(view.FeaturesMade, Is.EqualTo(Rows));
    }

    private static IEnumerable<TestCaseData> Damage()
    {
        yield return new TestCaseData((Action<string>)(p => Flip(p, PixelCache.HeaderSize + 1000)), "its rows do not match their SHA-256").SetName("A flipped pixel");
        yield return new TestCaseData((Action<string>)(p => Flip(p, new FileInfo(p).Length - 3)), "its labels do not match their SHA-256").SetName("A flipped label");
        yield return new TestCaseData((Action<string>)(p => Flip(p, 53)), "its header does not match its SHA-256").SetName("A flipped row count");
        yield return new TestCaseData((Action<string>)(p => Truncate(p, 5000)), "the file has 5000").SetName("A truncated file");
        yield return new TestCaseData((Action<string>)(p => Truncate(p, 100)), "fewer than the 1280 of a header").SetName("A file shorter than a header");
        yield return new TestCaseData((Action<string>)(p => File.WriteAllText(p, "hello, not a cache" + new string(' ', 2000))), "is not an MlNetDeep pixel cache").SetName("Another file");
    }

    [TestCaseSource(nameof(Damage))]
    public void AReusedCacheThatIsDamagedIsAnInvalidDataExceptionNamingTheFile(Action<string> damage, string expected)
    {
        Train(View(), Options(Tiny, _workspace, reuse: true));
        damage(CacheFile);

        var e = Assert.Throws<InvalidDataException>(() => Train(View(), Options(Tiny, _workspace, reuse: true)));

        Assert.That(e!.Message, Does.Contain($"'{CacheFile}'").And.Contain(expected));
    }

    [Test]
    public void ABadRowWhileTheCacheIsWrittenLeavesNoFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => Train(View(failAt: 250), Options(Tiny, _workspace)));

        Assert.That(e!.Message, Does.Contain("Row 250 of the training data could not be read (Name: 'row-250')"));
        Assert.That(Directory.GetFiles(_workspace), Is.Empty);
    }

    [Test]
    public void SkippedRowsAreFlaggedInTheCacheAndLeftOut()
    {
        var options = Options(Tiny, _workspace, reuse: true);
        options.SkipUnreadableRows = true;
        options.ValidationFraction = 0;
        var ml = new MLContext(seed: 1);
        var model = ml.MulticlassClassification.Trainers.NeuralNetwork(options).Fit(View(failAt: 250));
        Assert.That(model.History!.Epochs.Select(e => e.TrainRows), Is.All.EqualTo(Rows - 1));

        // Reused with skipping off, the cache no longer fits the request: it is rebuilt, and the row is an error.
        options.SkipUnreadableRows = false;
        Assert.Throws<InvalidDataException>(() => ml.MulticlassClassification.Trainers.NeuralNetwork(options).Fit(View(failAt: 250)));
    }

    private static void Flip(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x10));
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.SetLength(length);
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
