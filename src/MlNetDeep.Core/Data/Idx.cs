using System.Buffers.Binary;
using System.IO.Compression;
using MlNetDeep.Tensors;

namespace MlNetDeep.Data;

/// <summary>
/// Reads and writes the IDX format used by MNIST: a 4-byte magic number (two zero bytes, a type
/// code and the rank), one big-endian 32-bit size per dimension, then the values. Only unsigned-byte
/// data (type code <c>0x08</c>) is supported. Files may be gzip-compressed (recognised by their
/// <c>1f 8b</c> header) or raw, so the official full MNIST files load either way.
/// </summary>
public static class Idx
{
    private const byte UnsignedByte = 0x08;
    private const int MaxDimension = 1 << 24;

    /// <summary>Reads a rank-3 IDX image file (<c>N x rows x cols</c> bytes).</summary>
    /// <param name="path">The file, gzip-compressed or raw.</param>
    /// <returns>A tensor of shape <c>[N, 1, rows, cols]</c> holding each byte divided by 255.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid unsigned-byte rank-3 IDX file; the message names the file and the problem.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Tensor ReadImages(string path)
    {
        var (dims, bytes) = Read(path, expectedRank: 3, what: "images");
        var data = new float[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            data[i] = bytes[i] / 255f;
        }

        return new Tensor(data, dims[0], 1, dims[1], dims[2]);
    }

    /// <summary>Reads a rank-1 IDX label file (one byte per label).</summary>
    /// <param name="path">The file, gzip-compressed or raw.</param>
    /// <returns>The labels as integers in [0, 255].</returns>
    /// <exception cref="InvalidDataException">The file is not a valid unsigned-byte rank-1 IDX file; the message names the file and the problem.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static int[] ReadLabels(string path)
    {
        var (_, bytes) = Read(path, expectedRank: 1, what: "labels");
        var labels = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            labels[i] = bytes[i];
        }

        return labels;
    }

    /// <summary>
    /// Writes images as a gzip-compressed rank-3 IDX file. Each value is clamped to [0, 1] and
    /// stored as <c>round(value * 255)</c>, so values that are exactly <c>k / 255</c> round-trip exactly.
    /// </summary>
    /// <param name="path">The output file (always gzip-compressed, whatever its name).</param>
    /// <param name="images">Shape <c>[N, 1, rows, cols]</c> or <c>[N, rows, cols]</c>.</param>
    /// <exception cref="ArgumentException">The shape is not one of those, or a value is NaN.</exception>
    public static void WriteImages(string path, Tensor images)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(images);
        int rows, cols;
        if (images.Rank == 4 && images.Dim(1) == 1)
        {
            (rows, cols) = (images.Dim(2), images.Dim(3));
        }
        else if (images.Rank == 3)
        {
            (rows, cols) = (images.Dim(1), images.Dim(2));
        }
        else
        {
            throw new ArgumentException(
                $"Images must have shape [N, 1, rows, cols] or [N, rows, cols], not {Tensor.Format(images.Shape)}.", nameof(images));
        }

        var values = images.Span;
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsNaN(v))
            {
                throw new ArgumentException($"Image value at flat index {i} is NaN; expected a number in [0, 1].", nameof(images));
            }

            bytes[i] = (byte)MathF.Round(Math.Clamp(v, 0f, 1f) * 255f);
        }

        Write(path, [images.Rows, rows, cols], bytes);
    }

    /// <summary>Writes labels as a gzip-compressed rank-1 IDX file.</summary>
    /// <param name="path">The output file (always gzip-compressed, whatever its name).</param>
    /// <param name="labels">At least one label, each in [0, 255].</param>
    /// <exception cref="ArgumentException">There are no labels.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label does not fit in a byte.</exception>
    public static void WriteLabels(string path, ReadOnlySpan<int> labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (labels.IsEmpty)
        {
            throw new ArgumentException("At least one label is needed.", nameof(labels));
        }

        var bytes = new byte[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] > byte.MaxValue)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(labels), labels[i], $"Label {labels[i]} at index {i} does not fit an IDX unsigned byte; expected [0, 255].");
            }

            bytes[i] = (byte)labels[i];
        }

        Write(path, [labels.Length], bytes);
    }

    private static void Write(string path, int[] dims, byte[] bytes)
    {
        var header = new byte[4 + (4 * dims.Length)];
        header[2] = UnsignedByte;
        header[3] = (byte)dims.Length;
        for (var d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * d)), dims[d]);
        }

        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        gzip.Write(header);
        gzip.Write(bytes);
    }

    private static (int[] Dims, byte[] Bytes) Read(string path, int expectedRank, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = File.OpenRead(path);
        var fileLength = file.Length;
        if (fileLength == 0)
        {
            throw Bad(path, "the file is empty");
        }

        Span<byte> start = stackalloc byte[2];
        var startCount = file.ReadAtLeast(start, 2, throwOnEndOfStream: false);
        file.Position = 0;
        var gzipped = startCount == 2 && start[0] == 0x1f && start[1] == 0x8b;
        if (!gzipped && (startCount < 2 || start[0] != 0 || start[1] != 0))
        {
            var hint = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? "; the name ends in .gz but the file does not start with the gzip header 1f 8b"
                : string.Empty;
            throw Bad(path, $"it is neither gzip (starts 1f 8b) nor raw IDX (starts 00 00); first bytes are {Convert.ToHexString(start[..startCount])}{hint}");
        }

        try
        {
            using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
            return ReadIdx(stream, path, gzipped, gzipped ? -1 : fileLength, expectedRank, what);
        }
        catch (InvalidDataException e) when (gzipped && !e.Message.StartsWith("IDX file", StringComparison.Ordinal))
        {
            throw Bad(path, $"it starts with the gzip header but is not valid gzip data ({e.Message.TrimEnd('.')})", e);
        }
        catch (IOException e) when (gzipped && e is not FileNotFoundException)
        {
            throw Bad(path, $"it starts with the gzip header but could not be decompressed ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static (int[] Dims, byte[] Bytes) ReadIdx(Stream stream, string path, bool gzipped, long rawLength, int expectedRank, string what)
    {
        var form = gzipped ? "decompressed data" : "file";
        Span<byte> magic = stackalloc byte[4];
        var got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw Bad(path, $"the {form} ends after {got} bytes, inside the 4-byte magic number");
        }

        if (magic[0] != 0 || magic[1] != 0)
        {
            throw Bad(path, $"wrong magic number 0x{Convert.ToHexString(magic)}; an IDX file starts with two zero bytes");
        }

        if (magic[2] != UnsignedByte)
        {
            throw Bad(path, $"wrong magic number 0x{Convert.ToHexString(magic)}: type code 0x{magic[2]:X2} ({TypeName(magic[2])}) is not supported; expected 0x08 (unsigned byte)");
        }

        if (magic[3] != expectedRank)
        {
            throw Bad(path, $"wrong magic number 0x{Convert.ToHexString(magic)}: rank {magic[3]}, but {what} need rank {expectedRank} (expected magic 0x00000{(expectedRank == 1 ? "801" : "803")})");
        }

        var dimBytes = new byte[4 * expectedRank];
        got = stream.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false);
        if (got < dimBytes.Length)
        {
            throw Bad(path, $"the {form} ends inside the header: it has {4 + got} bytes but the header needs {4 + dimBytes.Length}");
        }

        var dims = new int[expectedRank];
        long total = 1;
        for (var d = 0; d < expectedRank; d++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(4 * d));
            if (size == 0 || size > MaxDimension)
            {
                throw Bad(path, $"dimension {d} is {size}; expected a size from 1 to {MaxDimension}");
            }

            dims[d] = (int)size;
            total *= size;
            if (total > Array.MaxLength)
            {
                throw Bad(path, $"the header promises more than {Array.MaxLength} values ([{string.Join(", ", dims[..(d + 1)])}...])");
            }
        }

        var headerLength = 4 + dimBytes.Length;
        if (rawLength >= 0 && rawLength - headerLength < total)
        {
            throw Bad(path, $"truncated: the header promises {total} bytes of {what} ([{string.Join(", ", dims)}]) but only {rawLength - headerLength} follow it");
        }

        var bytes = ReadExactly(stream, (int)total, out var read);
        if (read < total)
        {
            throw Bad(path, $"truncated: the header promises {total} bytes of {what} ([{string.Join(", ", dims)}]) but the {form} holds only {read}");
        }

        Span<byte> extra = stackalloc byte[1];
        if (stream.Read(extra) > 0)
        {
            throw Bad(path, $"the {form} has more bytes than the header promises ({total} bytes of {what}, [{string.Join(", ", dims)}])");
        }

        return (dims, bytes);
    }

    /// <summary>Reads up to <paramref name="count"/> bytes, growing the buffer only as data arrives (a lying header cannot force a huge allocation).</summary>
    private static byte[] ReadExactly(Stream stream, int count, out int read)
    {
        var buffer = new byte[Math.Min(count, 1 << 20)];
        read = 0;
        while (read < count)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(count, (long)buffer.Length * 2));
            }

            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return buffer;
    }

    private static string TypeName(byte code) => code switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };

    private static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"IDX file '{path}': {problem}.", inner);
}
