using MlNetDeep.Layers;
using MlNetDeep.Models;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Serialization;

public class WeightsFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-weights-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static Sequential Built(ulong seed, int hidden = 6)
    {
        var net = DenseModels.Mlp([hidden], 3, Activation.PReLU);
        net.Build([4], new RandomSource(seed));
        return net;
    }

    [Test]
    public void SaveThenLoadGivesIdenticalOutputs()
    {
        var path = Path.Combine(_dir, "mlp.weights");
        var original = Built(1);
        WeightsFile.Save(original, path);
        var copy = Built(2);
        var x = TestData.Random(3, 5, 4);
        Assert.That(Inference.Predict(copy, x).Span.ToArray(), Is.Not.EqualTo(Inference.Predict(original, x).Span.ToArray()));

        WeightsFile.Load(copy, path);

        Assert.That(Inference.Predict(copy, x).Span.ToArray(), Is.EqualTo(Inference.Predict(original, x).Span.ToArray()));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void WrongMagicIsRejected()
    {
        var path = Path.Combine(_dir, "bad.weights");
        File.WriteAllBytes(path, "PK\u0003\u0004 not weights at all"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(Built(1), path));
        Assert.That(e!.Message, Does.Contain("MNDW").And.Contain("bad.weights"));
    }

    [Test]
    public void OtherVersionIsRejected()
    {
        var bytes = Saved(Built(1));
        BitConverter.TryWriteBytes(bytes.AsSpan(4), 99);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(Built(1), new MemoryStream(bytes)));
        Assert.That(e!.Message, Does.Contain("version 99"));
    }

    [Test]
    public void ShapeMismatchIsRejectedAndNothingChanges()
    {
        var bytes = Saved(Built(1, hidden: 6));
        var other = Built(2, hidden: 7);
        var before = other.Parameters[0].Value.Span.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(other, new MemoryStream(bytes)));

        Assert.That(e!.Message, Does.Contain("[6, 4]").And.Contain("[7, 4]"));
        Assert.That(other.Parameters[0].Value.Span.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void EveryTruncationIsRejected()
    {
        var bytes = Saved(Built(1));
        for (var length = 0; length < bytes.Length; length += 7)
        {
            Assert.Throws<InvalidDataException>(() => WeightsFile.Load(Built(1), new MemoryStream(bytes[..length])), $"length {length}");
        }
    }

    [Test]
    public void AFlippedByteIsCaughtByTheChecksum()
    {
        var bytes = Saved(Built(1));
        bytes[^10] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(Built(1), new MemoryStream(bytes)));
        Assert.That(e!.Message, Does.Contain("checksum"));
    }

    [Test]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        var path = Path.Combine(_dir, "keep.weights");
        WeightsFile.Save(Built(1), path);
        var before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => WeightsFile.Save(DenseModels.Mlp([3], 2), path));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    private static byte[] Saved(Layer net)
    {
        var stream = new MemoryStream();
        WeightsFile.Save(net, stream);
        return stream.ToArray();
    }
}
