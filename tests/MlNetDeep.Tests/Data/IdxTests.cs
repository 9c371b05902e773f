using System.Buffers.Binary;
using System.IO.Compression;
using MlNetDeep.Data;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Data;

public sealed class IdxTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mlnetdeep-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ImagesRoundTripThroughGzip()
    {
        var data = new float[3 * 4 * 5];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (i * 37 % 256) / 255f;
        }

        var path = Path.Combine(_dir, "images.gz");
        Idx.WriteImages(path, new Tensor(data, 3, 1, 4, 5));
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[0..2], Is.EqualTo(new byte[] { 0x1f, 0x8b }));

        var read = Idx.ReadImages(path);
        Assert.That(read.ShapeArray(), Is.EqualTo(new[] { 3, 1, 4, 5 }));
        Assert.That(read.Span.ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void LabelsRoundTrip()
    {
        var path = Path.Combine(_dir, "labels.gz");
        int[] labels = [0, 9, 255, 3, 3];
        Idx.WriteLabels(path, labels);
        Assert.That(Idx.ReadLabels(path), Is.EqualTo(labels));
    }

    [Test]
    public void RawUncompressedFilesAreRead()
    {
        var images = Path.Combine(_dir, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, Header(0x0803, 2, 2, 3).Concat(new byte[] { 0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6 }).ToArray());
        var t = Idx.ReadImages(images);
        Assert.That(t.ShapeArray(), Is.EqualTo(new[] { 2, 1, 2, 3 }));
        Assert.That(t[5], Is.EqualTo(1f));
        Assert.That(t[1], Is.EqualTo(0.2f));

        var labels = Path.Combine(_dir, "train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, Header(0x0801, 2).Concat(new byte[] { 7, 1 }).ToArray());
        Assert.That(Idx.ReadLabels(labels), Is.EqualTo(new[] { 7, 1 }));
    }

    [Test]
    public void WrongMagicIsReported()
    {
        var path = Write("wrong-magic.idx", Header(0x0801, 2).Concat(new byte[] { 1, 2 }).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("wrong-magic.idx").And.Contain("rank 1").And.Contain("magic"));
    }

    [Test]
    public void UnsupportedTypeCodeIsReported()
    {
        var path = Write("floats.idx", Header(0x0D01, 1).Concat(new byte[4]).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.That(e!.Message, Does.Contain("floats.idx").And.Contain("0x0D").And.Contain("float32"));
    }

    [Test]
    public void TruncatedRawDataIsReported()
    {
        var path = Write("short-raw", Header(0x0803, 10, 28, 28).Concat(new byte[100]).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("short-raw").And.Contain("truncated").And.Contain("7840"));
    }

    [Test]
    public void TruncatedGzipDataIsReported()
    {
        var path = WriteGzip("short.gz", Header(0x0801, 1000).Concat(new byte[10]).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.That(e!.Message, Does.Contain("short.gz").And.Contain("truncated").And.Contain("1000"));
    }

    [Test]
    public void CutOffGzipStreamIsReported()
    {
        var full = Path.Combine(_dir, "full.gz");
        var data = new float[50 * 28 * 28];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (i * 7919 % 256) / 255f;
        }

        Idx.WriteImages(full, new Tensor(data, 50, 1, 28, 28));
        var bytes = File.ReadAllBytes(full);
        var path = Write("cut.gz", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("cut.gz"));
    }

    [Test]
    public void TruncatedHeaderIsReported()
    {
        var path = Write("header-only", [0, 0, 8, 3, 0, 0]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("header-only").And.Contain("header"));
    }

    [Test]
    public void EmptyFileIsReported()
    {
        var path = Write("empty.gz", []);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("empty.gz").And.Contain("empty"));
    }

    [Test]
    public void GarbageIsReported()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0x42;
        var path = Write("garbage.gz", garbage);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("garbage.gz").And.Contain("gzip"));
    }

    [Test]
    public void GzipHeaderWithGarbageBodyIsReported()
    {
        var garbage = new byte[4096];
        new Random(11).NextBytes(garbage);
        garbage[0] = 0x1f;
        garbage[1] = 0x8b;
        var path = Write("fake.gz", garbage);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("fake.gz").And.Contain("gzip"));
    }

    [Test]
    public void ExtraTrailingBytesAreReported()
    {
        var path = WriteGzip("long.gz", Header(0x0801, 2).Concat(new byte[] { 1, 2, 3 }).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.That(e!.Message, Does.Contain("long.gz").And.Contain("more bytes"));
    }

    [Test]
    public void HugeDeclaredSizeFailsWithoutHugeAllocation()
    {
        var path = WriteGzip("huge.gz", Header(0x0803, 0xFFFFFF, 4096, 4096).Concat(new byte[16]).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("huge.gz"));

        var zero = WriteGzip("zero.gz", Header(0x0801, 0));
        var e2 = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(zero));
        Assert.That(e2!.Message, Does.Contain("zero.gz").And.Contain("dimension 0"));

        var lying = WriteGzip("lying.gz", Header(0x0803, 1000, 1000, 1000).Concat(new byte[16]).ToArray());
        var e3 = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(lying));
        Assert.That(e3!.Message, Does.Contain("lying.gz").And.Contain("truncated").And.Contain("holds only 16"));
    }

    [Test]
    public void MissingFileThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(Path.Combine(_dir, "nope.gz")));

    [Test]
    public void MnistLoadChecksCountsAgree()
    {
        var images = new Tensor(3, 1, 28, 28);
        Idx.WriteImages(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), images);
        Idx.WriteLabels(Path.Combine(_dir, "train-labels-idx1-ubyte.gz"), [1, 2]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_dir, "train"));
        Assert.That(e!.Message, Does.Contain("3 images").And.Contain("2 labels"));
    }

    [Test]
    public void MnistLoadAcceptsOfficialTestNames()
    {
        Idx.WriteImages(Path.Combine(_dir, "t10k-images-idx3-ubyte"), new Tensor(2, 1, 28, 28));
        Idx.WriteLabels(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), [4, 9]);
        var data = Mnist.Load(_dir, "test");
        Assert.That(data.Labels, Is.EqualTo(new[] { 4, 9 }));
        Assert.That(data.ClassCount, Is.EqualTo(10));
    }

    [Test]
    public void MnistLoadRejectsUnknownPartAndMissingFiles()
    {
        Assert.Throws<ArgumentException>(() => Mnist.Load(_dir, "validation"));
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(_dir, "train"));
        Assert.That(e!.Message, Does.Contain("train-images-idx3-ubyte.gz"));
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteGzip(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
        return path;
    }

    private static byte[] Header(int magic, params int[] dims)
    {
        var header = new byte[4 + (4 * dims.Length)];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * d)), dims[d]);
        }

        return header;
    }
}
