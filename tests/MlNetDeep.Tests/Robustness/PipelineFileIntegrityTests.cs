using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.Tests.ML;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Robustness;

/// <summary>
/// A saved pipeline is checked whole before it is used: the manifest against its checksum, every entry against the
/// manifest's SHA-256 and length, entries read within size and inflation bounds (zip bombs), the manifest's fields
/// strictly, and the stages against each other (classes, outputs, shapes, the chain against the input schema).
/// </summary>
public class PipelineFileIntegrityTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly Lazy<(ITransformer Model, IDataView Data)> Fitted = new(Fit);
    private string _dir = null!;
    private string _path = null!;

    [SetUp]
    public void Save()
    {
        _dir = Directory.CreateTempSubdirectory("mlnetdeep-integrity-").FullName;
        _path = Path.Combine(_dir, "model.mlnetdeep");
        Ml.Model.SaveWithNetworks(Fitted.Value.Model, Fitted.Value.Data.Schema, _path);
    }

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static (ITransformer, IDataView) Fit()
    {
        var data = ColorShapes.Generate(40, 1, size: 16).ToDataView(Ml);
        var model = Ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Ml.Transforms.NormalizeChannels())
            .Append(Ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (_, classes) => new Sequential(new Conv2D(4, 3, padding: 1), new BatchNormalization(), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(classes)),
                NumberOfEpochs = 1,
                BatchSize = 8,
                Seed = 1,
            }))
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel"))
            .Fit(data);
        return (model, data);
    }

    private InvalidDataException Rejected() => Assert.Throws<InvalidDataException>(() => Ml.Model.LoadWithNetworks(_path, out _))!;

    /// <summary>The rejection and the bytes this thread allocated on the way to it.</summary>
    private (InvalidDataException Error, long Allocated) RejectedCounting()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Rejected();
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The edits a fuzzing trial made to manifests that loaded and then scored differently or failed later.</summary>
    private static IEnumerable<TestCaseData> Edits()
    {
        yield return new TestCaseData((Action<JsonObject>)(m => Swap(Network(m)["keyValues"]!["values"]!.AsArray())), null).SetArgDisplayNames("class names swapped");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["keyValues"]!["values"]!.AsArray().RemoveAt(0)), "classes").SetArgDisplayNames("a class name deleted");
        yield return new TestCaseData((Action<JsonObject>)(m => m["stages"]!.AsArray().RemoveAt(1)), null).SetArgDisplayNames("the normaliser dropped");
        yield return new TestCaseData((Action<JsonObject>)(m => m["stages"]![1]!["settings"]!["step"]!["std"]![0] = 1e-30), null).SetArgDisplayNames("std = 1e-30");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["outputs"] = 11), "11 outputs").SetArgDisplayNames("outputs = 11");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["featureShape"] = new JsonArray(2147483647, 2147483647)), "featureShape").SetArgDisplayNames("feature shape overflows");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["featureShape"] = new JsonArray(-1, 28, 28)), "featureShape").SetArgDisplayNames("feature shape negative");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["featureShape"] = new JsonArray(16, 3, 16)), "takes [3, 16, 16]").SetArgDisplayNames("feature shape permuted");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["task"] = "Regression"), "outputs for Regression").SetArgDisplayNames("task changed");
        yield return new TestCaseData((Action<JsonObject>)(m => Network(m)["featureColumn"] = "Pixels"), "'Pixels'").SetArgDisplayNames("feature column renamed");
    }

    private static JsonObject Network(JsonObject manifest) => manifest["stages"]!.AsArray().OfType<JsonObject>().Single(s => (string?)s["kind"] == "network");

    private static void Swap(JsonArray values)
    {
        var first = values[0]!.DeepClone();
        values[0] = values[1]!.DeepClone();
        values[1] = first;
    }

    private static string Edit(string manifest, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(manifest)!.AsObject();
        edit(root);
        return root.ToJsonString();
    }

    [TestCaseSource(nameof(Edits))]
    public void AnEditedManifestIsRejectedByItsChecksum(Action<JsonObject> edit, string? _)
    {
        PipelineFiles.EditManifest(_path, m => Edit(m, edit), rehash: false);

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain("does not match its checksum"));
    }

    [TestCaseSource(nameof(Edits))]
    public void AForgedManifestThatContradictsItselfIsRejectedByTheCrossChecks(Action<JsonObject> edit, string? problem)
    {
        PipelineFiles.EditManifest(_path, m => Edit(m, edit), rehash: true);
        if (problem is null)
        {
            // A forged edit that describes another valid pipeline (another order of class names, no normaliser, other
            // statistics) cannot be told from a real one; it loads and scores without error.
            var loaded = Ml.Model.LoadWithNetworks(_path, out _);
            Assert.That(loaded.Transform(Fitted.Value.Data).GetColumn<float[]>("Score").Count(), Is.EqualTo(40));
            return;
        }

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain(problem));
    }

    [Test]
    public void AnEntryChangedInPlaceIsCaughtByItsSha256()
    {
        var network = Entries(_path).Single(n => n.EndsWith(".network", StringComparison.Ordinal));
        var bytes = PipelineFiles.ReadEntry(_path, network);
        bytes[bytes.Length / 2] ^= 1;
        PipelineFiles.ReplaceEntry(_path, network, bytes);

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain(network).And.Contain("SHA-256"));
    }

    [Test]
    public void AnEntryOfAnotherSizeIsCaughtByItsLength()
    {
        var network = Entries(_path).Single(n => n.EndsWith(".network", StringComparison.Ordinal));
        PipelineFiles.ReplaceEntry(_path, network, [.. PipelineFiles.ReadEntry(_path, network), 0]);

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain(network).And.Contain("the manifest records"));
    }

    [Test]
    public void ADeflatedBombIsRejectedBeforeItInflates()
    {
        // 128 MiB of zeros deflate to about 130 KB: the ratio gives it away before a byte is inflated.
        var network = Entries(_path).Single(n => n.EndsWith(".network", StringComparison.Ordinal));
        PipelineFiles.ReplaceEntry(_path, network, new byte[128 << 20], CompressionLevel.Optimal);
        Assert.That(new FileInfo(_path).Length, Is.LessThan(4 << 20));

        var (e, allocated) = RejectedCounting();

        Assert.That(e.Message, Does.Contain(_path).And.Contain("zip bomb"));
        Assert.That(allocated, Is.LessThan(64 << 20));
    }

    [Test]
    public void ABombThatDeclaresASmallSizeIsStoppedAtThatSize()
    {
        var network = Entries(_path).Single(n => n.EndsWith(".network", StringComparison.Ordinal));
        PipelineFiles.ReplaceEntry(_path, network, new byte[64 << 20], CompressionLevel.Optimal);
        var bytes = File.ReadAllBytes(_path);
        MlNetDeep.Fuzz.ZipEntries.PatchDeclaredLength(bytes, network, 1000);
        File.WriteAllBytes(_path, bytes);

        var (e, allocated) = RejectedCounting();

        Assert.That(e.Message, Does.Contain(_path).And.Contain(network));
        Assert.That(allocated, Is.LessThan(64 << 20));
    }

    [Test]
    public void ABombInsideANestedMlNetZipIsRejectedBeforeMlNetOpensIt()
    {
        var nested = Entries(_path).First(n => n.EndsWith(".mlnet.zip", StringComparison.Ordinal));
        var inner = new MemoryStream();
        using (var zip = new ZipArchive(inner, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = zip.CreateEntry("Model.key", CompressionLevel.Optimal).Open();
            stream.Write(new byte[64 << 20]);
        }

        var bomb = inner.ToArray();
        PipelineFiles.ReplaceEntry(_path, nested, bomb);
        PipelineFiles.EditManifest(_path, m => Edit(m, root =>
        {
            var record = root["stages"]!.AsArray().OfType<JsonObject>().First(s => (string?)s["entry"] == nested);
            record["length"] = bomb.Length;
            record["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bomb));
        }));

        var (e, allocated) = RejectedCounting();

        Assert.That(e.Message, Does.Contain(_path).And.Contain("zip bomb"));
        Assert.That(allocated, Is.LessThan(64 << 20));
    }

    [Test]
    public void UnlistedAndRepeatedEntriesAreRejected()
    {
        PipelineFiles.ReplaceEntry(_path, "notes.txt", Encoding.UTF8.GetBytes("hello"));
        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain("'notes.txt'").And.Contain("does not list"));

        Ml.Model.SaveWithNetworks(Fitted.Value.Model, Fitted.Value.Data.Schema, _path);
        using (var zip = ZipFile.Open(_path, ZipArchiveMode.Update))
        {
            using var stream = zip.CreateEntry("manifest.json").Open();
            stream.Write("{}"u8);
        }

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain("'manifest.json' appears twice"));
    }

    [Test]
    public void AFileOfTheFirstFormatIsRejectedWithTheFix()
    {
        PipelineFiles.EditManifest(_path, m => Edit(m, root => root["version"] = 1));

        Assert.That(Rejected().Message, Does.Contain(_path).And.Contain("format 1").And.Contain("save the pipeline again"));
    }

    [Test]
    public void TheSavedFileLoadsAndScoresIdentically()
    {
        var loaded = Ml.Model.LoadWithNetworks(_path, out _);
        var data = Fitted.Value.Data;

        Assert.That(loaded.Transform(data).GetColumn<float[]>("Score").SelectMany(v => v),
            Is.EqualTo(Fitted.Value.Model.Transform(data).GetColumn<float[]>("Score").SelectMany(v => v)));
        Assert.That(PipelineFiles.ReadEntry(_path, "manifest.sha256"), Has.Length.EqualTo(64 + 2 + "manifest.json".Length + 1), "sha256sum's format");
    }

    private static string[] Entries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return [.. zip.Entries.Select(e => e.FullName)];
    }
}
