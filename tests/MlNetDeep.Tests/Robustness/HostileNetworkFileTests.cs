using MlNetDeep.Fuzz;
using MlNetDeep.Layers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Robustness;

/// <summary>
/// Network and weights files that are well formed — valid lengths and CRCs — but say something hostile or impossible:
/// they are rejected with an InvalidDataException naming the file, before anything in proportion to their claims is
/// allocated; networks with non-finite weights are neither saved nor loaded.
/// </summary>
public class HostileNetworkFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-hostile-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static LayerDescription Dense(int units) =>
        new("Sequential", "net", children: [new LayerDescription("Dense", "huge", [new("units", units.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("useBias", "false")])]);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestCase(46340)] // the file: 46340² weights are 8.6 GB (17 GB with gradients) and used to throw OutOfMemoryException
    [TestCase(16384)] // 1 GiB of weights (2 GiB with gradients): used to be allocated and initialised before the rejection
    public void AFileOfAFewHundredBytesDeclaringAHugeDenseLayerIsRejectedBeforeAllocating(int units)
    {
        var path = Write("huge.mndn", NetworkFileBytes.Compose([units], Dense(units), NetworkFileBytes.Weights([])));
        Assert.That(new FileInfo(path).Length, Is.LessThan(200));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(e!.Message, Does.Contain("huge.mndn").And.Contain("asks for more than").And.Contain("holds only 0 saved values"));
        Assert.That(allocated, Is.LessThan(16 << 20), "bytes allocated before the rejection");
    }

    [Test]
    public void ALayerOverAHugeInputLoadsWithoutAllocatingForTheInput()
    {
        // Batch norm over one channel of 46000x46000: four saved values, a valid network. Building it (on save and on
        // load) used to allocate six per-sample scratch rows, 51 GB; they now wait for the first forward pass.
        var network = new Sequential(new BatchNormalization());
        network.Build([1, 46000, 46000], new RandomSource(1));
        var path = Path.Combine(_dir, "wide.mndn");
        NetworkFile.Save(network, path);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = NetworkFile.Load(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(loaded.InputShape.ToArray(), Is.EqualTo(new[] { 1, 46000, 46000 }));
        Assert.That(allocated, Is.LessThan(16 << 20));
    }

    [Test]
    public void ADeclaredLayerLargerThanItsSavedWeightsIsRejected()
    {
        // The file holds the 3x4 weights of a Dense(3) on 4 inputs but declares Dense(3) on 4,000,000 inputs.
        var weights = NetworkFileBytes.Weights([("0.weight", [3, 4], new float[12])]);
        var path = Write("mismatch.mndn", NetworkFileBytes.Compose([4_000_000], Dense(3), weights));

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("mismatch.mndn").And.Contain("12 saved values"));
    }

    [TestCase(new[] { 2147483647, 2147483647 })]
    [TestCase(new[] { 65536, 65536 })]
    [TestCase(new[] { -1, 28, 28 })]
    [TestCase(new[] { 0 })]
    public void InputShapesThatAreNotPositiveOrOverflowAreRejected(int[] shape)
    {
        var path = Write("shape.mndn", NetworkFileBytes.Compose(shape, new LayerDescription("Sequential", "net", children: [new LayerDescription("ReLU", "r")]), NetworkFileBytes.Weights([])));

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("shape.mndn").And.Contain("input shape"));
    }

    [Test]
    public void AWeightsTableThatClaimsMoreBytesThanItHoldsIsRejected()
    {
        var weights = NetworkFileBytes.Weights([("0.weight", [3, 4], new float[12])]);
        var lying = weights[..^4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(lying.AsSpan(4 + 4 + 4 + 1 + "0.weight".Length + 4), 30000);
        var path = Write("lying.mndn", NetworkFileBytes.Compose([4], Dense(3), NetworkFileBytes.WithCrc(lying)));

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("lying.mndn").And.Contain("'0.weight'").And.Contain("remain"));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void NetworksWithNonFiniteWeightsAreNotSaved(float bad)
    {
        var network = new Sequential(new Dense(3), new Dense(2));
        network.Build([4], new RandomSource(1));
        network.Parameters[2].Value[4] = bad;
        var path = Path.Combine(_dir, "bad.mndn");

        var e = Assert.Throws<InvalidOperationException>(() => NetworkFile.Save(network, path));
        Assert.Throws<InvalidOperationException>(() => WeightsFile.Save(network, Path.Combine(_dir, "bad.mndw")));

        Assert.That(e!.Message, Does.Contain("'1.weight'").And.Contain(bad.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("index 4"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty, "nothing was written, not even a temporary");
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void FilesWithNonFiniteWeightsAreNotLoaded(float bad)
    {
        var values = Enumerable.Range(0, 12).Select(i => i == 7 ? bad : i / 10f).ToArray();
        var weights = NetworkFileBytes.Weights([("0.weight", [3, 4], values)]);
        var networkPath = Write("nan.mndn", NetworkFileBytes.Compose([4], Dense(3), weights));
        var weightsPath = Write("nan.mndw", weights);
        var target = new Sequential(new Dense(3, useBias: false));
        target.Build([4], new RandomSource(1));
        var before = target.Parameters[0].Value.Span.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(networkPath));
        var w = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(target, weightsPath));

        Assert.That(e!.Message, Does.Contain("nan.mndn").And.Contain("'0.weight'").And.Contain("index 7"));
        Assert.That(w!.Message, Does.Contain("nan.mndw").And.Contain("'0.weight'").And.Contain("index 7"));
        Assert.That(target.Parameters[0].Value.Span.ToArray(), Is.EqualTo(before), "a rejected load changes nothing");
    }
}
