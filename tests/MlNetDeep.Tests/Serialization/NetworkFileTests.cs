using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Serialization;

public class NetworkFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-network-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<TestCaseData> Networks()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            yield return new TestCaseData((Func<Sequential>)(() => DenseModels.Mlp([7, 5], 3, activation, keepProbability: 0.8f)), new[] { 4 })
                .SetArgDisplayNames($"Mlp-{activation}");
        }

        yield return new TestCaseData((Func<Sequential>)(() => DenseModels.LogisticRegression()), new[] { 2, 3 })
            .SetArgDisplayNames("LogisticRegression");
        yield return new TestCaseData((Func<Sequential>)HandBuilt, new[] { 6 }).SetArgDisplayNames("HandBuiltNested");
    }

    /// <summary>Every layer type with non-default settings and names, nested two levels deep.</summary>
    private static Sequential HandBuilt() => new(
        new Dense(8, useBias: false) { Name = "first" },
        new LeakyReLU(0.2f),
        new Sequential(
            new Dense(7) { Name = "inner dense ü" },
            new PReLU(0.1f, shared: true),
            new Dropout(0.75f),
            new Sequential(new Dense(6), new ELU(0.5f), new Dense(5), new SELU()) { Name = "deepest" },
            new PReLU(0.3f),
            new Tanh()) { Name = "block" },
        new Dense(5),
        new Sigmoid(),
        new Dense(4),
        new ReLU(),
        new Dense(3),
        new Softmax()) { Name = "hand-built" };

    private static T Built<T>(T network, int[] inputShape, ulong seed)
        where T : Layer
    {
        network.Build(inputShape, new RandomSource(seed));

        // Move every parameter away from its initial value, so that constant initialisations (PReLU slopes, zero
        // biases) cannot pass the tests by chance.
        var random = new RandomSource(seed + 100);
        foreach (var p in network.Parameters)
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] += 0.1f * (float)random.NextGaussian();
            }
        }

        return network;
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static Tensor Input(ulong seed, int rows, int[] shape) => TestData.Random(seed, [rows, .. shape]);

    private static byte[] Saved(Layer network)
    {
        var stream = new MemoryStream();
        NetworkFile.Save(network, stream);
        return stream.ToArray();
    }

    private static Layer LoadBytes(byte[] bytes) => NetworkFile.Load(new MemoryStream(bytes));

    private static Sequential SmallNetwork() => Built(DenseModels.Mlp([5], 3, Activation.PReLU), [4], 1);

    [TestCaseSource(nameof(Networks))]
    public void SaveThenLoadGivesBitIdenticalOutputs(Func<Sequential> create, int[] inputShape)
    {
        var original = Built(create(), inputShape, 1);
        var path = Path.Combine(_dir, "network.mndn");
        NetworkFile.Save(original, path);

        var loaded = NetworkFile.Load(path);

        var x = Input(7, 9, inputShape);
        Assert.That(loaded, Is.TypeOf<Sequential>());
        Assert.That(loaded.IsBuilt);
        Assert.That(loaded.InputShape.ToArray(), Is.EqualTo(inputShape));
        Assert.That(Bits(Inference.Predict(loaded, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
        Assert.That(Flatten(loaded.Describe()), Is.EqualTo(Flatten(original.Describe())), "types, names and settings survive");
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [TestCaseSource(nameof(Networks))]
    public void CloneGivesBitIdenticalOutputs(Func<Sequential> create, int[] inputShape)
    {
        var original = Built(create(), inputShape, 2);

        var clone = NetworkFile.Clone(original);

        var x = Input(8, 9, inputShape);
        Assert.That(clone, Is.Not.SameAs(original));
        Assert.That(Bits(Inference.Predict(clone, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
        Assert.That(Flatten(clone.Describe()), Is.EqualTo(Flatten(original.Describe())));
    }

    [Test]
    public void DescriptionsUseStableKeysAndInvariantSettings()
    {
        var d = HandBuilt().Describe();

        Assert.That(d.TypeKey, Is.EqualTo("Sequential"));
        Assert.That(d.Name, Is.EqualTo("hand-built"));
        Assert.That(d.Children.Select(c => c.TypeKey), Is.EqualTo(new[] { "Dense", "LeakyReLU", "Sequential", "Dense", "Sigmoid", "Dense", "ReLU", "Dense", "Softmax" }));
        Assert.That(d.Children[0].Settings, Is.EquivalentTo(new Dictionary<string, string> { ["units"] = "8", ["useBias"] = "false" }));
        Assert.That(d.Children[1].Settings["slope"], Is.EqualTo("0.2"));
        var block = d.Children[2];
        Assert.That(block.Children.Select(c => c.TypeKey), Is.EqualTo(new[] { "Dense", "PReLU", "Dropout", "Sequential", "PReLU", "Tanh" }));
        Assert.That(block.Children[1].Settings, Is.EquivalentTo(new Dictionary<string, string> { ["initialSlope"] = "0.1", ["shared"] = "true" }));
        Assert.That(block.Children[2].Settings["keepProbability"], Is.EqualTo("0.75"));
        Assert.That(block.Children[3].Children.Select(c => c.TypeKey), Is.EqualTo(new[] { "Dense", "ELU", "Dense", "SELU" }));
        Assert.That(block.Children[3].Children[1].Settings["alpha"], Is.EqualTo("0.5"));
    }

    [Test]
    public void StreamLoadConsumesExactlyTheNetwork()
    {
        var original = SmallNetwork();
        var stream = new MemoryStream();
        stream.Write("prefix"u8);
        NetworkFile.Save(original, stream);
        stream.Write("suffix"u8);
        stream.Position = 6;

        var loaded = NetworkFile.Load(stream);

        Assert.That(new StreamReader(stream).ReadToEnd(), Is.EqualTo("suffix"));
        var x = Input(3, 5, [4]);
        Assert.That(Bits(Inference.Predict(loaded, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
    }

    [Test]
    public void ExtraBytesAfterAFileAreRejected()
    {
        var path = Path.Combine(_dir, "extra.mndn");
        File.WriteAllBytes(path, [.. Saved(SmallNetwork()), 0]);

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("extra.mndn").And.Contain("unexpected"));
    }

    [Test]
    public void CloneIsIndependent()
    {
        var original = SmallNetwork();
        var clone = NetworkFile.Clone(original);
        var x = Input(4, 6, [4]);
        var expected = Bits(Inference.Predict(original, x));

        foreach (var p in clone.Parameters)
        {
            p.Value.Fill(0.5f);
        }

        Assert.That(Bits(Inference.Predict(original, x)), Is.EqualTo(expected), "the original is unchanged");
        Assert.That(Bits(Inference.Predict(clone, x)), Is.Not.EqualTo(expected));
        Assert.That(
            clone.Parameters.Select(p => p.Value).Intersect(original.Parameters.Select(p => p.Value)),
            Is.Empty,
            "no tensor is shared");
    }

    [Test]
    public void CloneCopiesFrozenFlags()
    {
        var original = SmallNetwork();
        original.Parameters[0].Frozen = true;

        var clone = NetworkFile.Clone(original);

        Assert.That(clone.Parameters.Select(p => p.Frozen), Is.EqualTo(original.Parameters.Select(p => p.Frozen)));
    }

    [Test]
    public void OriginalAndCloneRunConcurrently()
    {
        // Large enough for GEMM to use the worker pool, which both threads then compete for.
        var original = Built(DenseModels.Mlp([256, 64], 5, Activation.ELU), [128], 3);
        var clone = NetworkFile.Clone(original);
        var inputs = Enumerable.Range(0, 6).Select(i => Input((ulong)(10 + i), 130, [128])).ToArray();
        var expected = inputs.Select(x => Bits(Inference.Predict(original, x))).ToArray();
        using var start = new Barrier(2);

        var failures = new int[2];
        void Run(Layer network, int worker)
        {
            start.SignalAndWait();
            for (var round = 0; round < 60; round++)
            {
                var i = (round + (worker * 3)) % inputs.Length;
                if (!Bits(Inference.Predict(network, inputs[i], batchSize: 64)).SequenceEqual(expected[i]))
                {
                    failures[worker]++;
                }
            }
        }

        var threads = new[] { new Thread(() => Run(original, 0)), new Thread(() => Run(clone, 1)) };
        foreach (var t in threads)
        {
            t.Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        Assert.That(failures, Is.EqualTo(new[] { 0, 0 }));
    }

    [Test]
    public void CloneNeedsABuiltNetwork()
    {
        var e = Assert.Throws<InvalidOperationException>(() => NetworkFile.Clone(DenseModels.Mlp([3], 2)));
        Assert.That(e!.Message, Does.Contain("built"));
    }

    [Test]
    public void EveryTruncationIsRejected()
    {
        var bytes = Saved(SmallNetwork());
        for (var length = 0; length < bytes.Length; length += 13)
        {
            var e = Assert.Throws<InvalidDataException>(() => LoadBytes(bytes[..length]), $"length {length}");
            Assert.That(e!.Message, Does.Contain("truncated"), $"length {length}");
        }

        var path = Path.Combine(_dir, "short.mndn");
        File.WriteAllBytes(path, bytes[..^1]);
        var fromFile = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));
        Assert.That(fromFile!.Message, Does.Contain("short.mndn").And.Contain("truncated"));
    }

    [Test]
    public void AFlippedByteIsCaughtByTheChecksum()
    {
        var bytes = Saved(SmallNetwork());
        bytes[bytes.Length / 2] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => LoadBytes(bytes));
        Assert.That(e!.Message, Does.Contain("checksum"));
    }

    [Test]
    public void EveryFlippedByteIsRejected()
    {
        var bytes = Saved(SmallNetwork());
        for (var i = 0; i < bytes.Length; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[i] ^= 0x01;
            var e = Assert.Throws<InvalidDataException>(() => LoadBytes(corrupt), $"byte {i}");
            if (i >= 12)
            {
                Assert.That(e!.Message, Does.Contain("checksum"), $"byte {i}");
            }
        }
    }

    [Test]
    public void WrongMagicIsRejected()
    {
        var path = Path.Combine(_dir, "bad.mndn");
        File.WriteAllBytes(path, "PK\u0003\u0004 not a network at all"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));
        Assert.That(e!.Message, Does.Contain("MNDN").And.Contain("bad.mndn"));

        var weightsOnly = new MemoryStream();
        WeightsFile.Save(SmallNetwork(), weightsOnly);
        var w = Assert.Throws<InvalidDataException>(() => LoadBytes(weightsOnly.ToArray()));
        Assert.That(w!.Message, Does.Contain("MNDN"));
    }

    [Test]
    public void OtherVersionIsRejected()
    {
        var bytes = Saved(SmallNetwork());
        BitConverter.TryWriteBytes(bytes.AsSpan(4), 99);
        var e = Assert.Throws<InvalidDataException>(() => LoadBytes(bytes));
        Assert.That(e!.Message, Does.Contain("version 99"));
    }

    [Test]
    public void UnknownLayerTypeIsRejected()
    {
        Assert.That(LayerRegistry.IsRegistered("Nope"), Is.False);
        var direct = Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(new LayerDescription("Nope", "mystery")));
        Assert.That(direct!.Message, Does.Contain("unknown layer type 'Nope'").And.Contain("LayerRegistry.Register"));

        var network = new Sequential(new Dense(3), new NopeLayer { Name = "mystery" }, new Dense(2));
        network.Build([4], new RandomSource(1));
        var path = Path.Combine(_dir, "nope.mndn");
        NetworkFile.Save(network, path);

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("nope.mndn").And.Contain("unknown layer type 'Nope'").And.Contain("LayerRegistry.Register"));
    }

    [TestCase("units", "abc")]
    [TestCase("units", "-3")]
    [TestCase("units", "99999999999")]
    [TestCase("useBias", "yes")]
    public void BadSettingValuesAreRejected(string key, string value)
    {
        var settings = new Dictionary<string, string> { ["units"] = "3", ["useBias"] = "true", [key] = value };
        var e = Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(new LayerDescription("Dense", "d", settings)));
        Assert.That(e!.Message, Does.Contain("'d'").And.Contain("Dense"));
    }

    [Test]
    public void MissingSettingsAndChildrenOfLeavesAreRejected()
    {
        var missing = Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(new LayerDescription("ELU", "e")));
        Assert.That(missing!.Message, Does.Contain("alpha"));

        var child = new LayerDescription("ReLU", "r");
        Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(new LayerDescription("ReLU", "r", children: [child])));
    }

    [Test]
    public void ABadSettingInAFileIsRejected()
    {
        // The layer describes itself as a leaky ReLU with slope 1.5, which LeakyReLU's constructor rejects.
        var network = new Sequential(new Dense(3), new DescribedAs(new LayerDescription("LeakyReLU", "leaky", [new("slope", "1.5")])));
        network.Build([2], new RandomSource(1));
        var path = Path.Combine(_dir, "slope.mndn");
        NetworkFile.Save(network, path);

        var e = Assert.Throws<InvalidDataException>(() => NetworkFile.Load(path));

        Assert.That(e!.Message, Does.Contain("slope.mndn").And.Contain("leaky").And.Contain("slope"));
    }

    [Test]
    public void RegisteredCustomLayersCanBeSavedLoadedAndCloned()
    {
        const string key = "Tests.Scale";
        if (!LayerRegistry.IsRegistered(key))
        {
            LayerRegistry.Register(key, d => new ScaleLayer(d.GetSingle("factor")));
        }

        Assert.Throws<ArgumentException>(() => LayerRegistry.Register(key, d => new ScaleLayer(1f)));
        var original = new Sequential(new Dense(3), new ScaleLayer(-2.5f), new Dense(2));
        original.Build([4], new RandomSource(5));
        var x = Input(9, 5, [4]);

        var loaded = LoadBytes(Saved(original));
        var clone = NetworkFile.Clone(original);

        Assert.That(((Sequential)loaded).Layers[1], Is.TypeOf<ScaleLayer>().With.Property(nameof(ScaleLayer.Factor)).EqualTo(-2.5f));
        Assert.That(Bits(Inference.Predict(loaded, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
        Assert.That(Bits(Inference.Predict(clone, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
    }

    [Test]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        var path = Path.Combine(_dir, "keep.mndn");
        NetworkFile.Save(SmallNetwork(), path);
        var before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => NetworkFile.Save(DenseModels.Mlp([3], 2), path));
        var undescribable = new Sequential(new Dense(3), new Undescribable());
        undescribable.Build([4], new RandomSource(1));
        Assert.Throws<NotSupportedException>(() => NetworkFile.Save(undescribable, path));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
        Assert.That(LoadBytes(before), Is.TypeOf<Sequential>());
    }

    [Test]
    public void ALayerWithoutDescribeCannotBeSavedOrCloned()
    {
        var layer = new Undescribable();
        var e = Assert.Throws<NotSupportedException>(() => layer.Describe());
        Assert.That(e!.Message, Does.Contain(typeof(Undescribable).FullName!).And.Contain("cannot be saved"));

        var network = new Sequential(new Dense(3), new Undescribable());
        network.Build([4], new RandomSource(1));
        var clone = Assert.Throws<NotSupportedException>(() => NetworkFile.Clone(network));
        Assert.That(clone!.Message, Does.Contain(nameof(Undescribable)));
        Assert.Throws<NotSupportedException>(() => NetworkFile.Save(network, new MemoryStream()));
    }

    /// <summary>Flattens a description tree into comparable lines.</summary>
    private static List<string> Flatten(LayerDescription d, string indent = "")
    {
        var lines = new List<string> { indent + d };
        foreach (var child in d.Children)
        {
            lines.AddRange(Flatten(child, indent + "  "));
        }

        return lines;
    }

    private sealed class Undescribable : ElementwiseLayer
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => x.CopyTo(y);

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => dy.CopyTo(dx);
    }

    private sealed class NopeLayer : ElementwiseLayer
    {
        public override LayerDescription Describe() => new("Nope", Name);

        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => x.CopyTo(y);

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => dy.CopyTo(dx);
    }

    private sealed class DescribedAs(LayerDescription description) : ElementwiseLayer
    {
        public override LayerDescription Describe() => description;

        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => x.CopyTo(y);

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => dy.CopyTo(dx);
    }

    private sealed class ScaleLayer(float factor) : ElementwiseLayer
    {
        public float Factor { get; } = factor;

        public override LayerDescription Describe() => new("Tests.Scale", Name, [new("factor", LayerDescription.ToSetting(Factor))]);

        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(x, Factor, y);

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(dy, Factor, dx);
    }
}
