using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.Win32.SafeHandles;
using MlNetDeep.Serialization;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// A file of decoded rows (the features column the trainer reads, such as ExtractPixels' output) that a pass reads by row
/// index: random access for exact shuffling, and no decoding after the first pass. One byte per value when the source is
/// 8-bit (at most 256 distinct values, whatever their scale, offset or rounding: each byte indexes a palette of the exact
/// floats, so the bits read back are the bits read), four otherwise.
/// </summary>
/// <remarks>
/// <para>
/// Layout (little-endian): a header of <see cref="HeaderSize"/> bytes (magic <c>MNDPIXC1</c>, version, value size, rank
/// and shape, rows, bytes per row, palette, SHA-256 of the rows, of the labels and of the description of the data, and
/// of the header itself), then the rows, then a label (float) and a flag (1 = unreadable, skipped) per row.
/// </para>
/// <para>
/// The file is written through <see cref="AtomicFile"/> (a failure leaves no partial cache) and, like any file, is
/// untrusted when reused: the header is checked field by field against the file's length before anything is sized from
/// it, every byte is checked against its SHA-256, and a corrupt file is an <see cref="InvalidDataException"/> naming it.
/// A sound cache made from other data (shape, row count, labels or columns differ) is rebuilt.
/// </para>
/// </remarks>
internal sealed class PixelCache : IDisposable
{
    public const int HeaderSize = 1280;

    private const int Version = 1;
    private const int MaxRank = 8;
    private const int HashedHeaderBytes = 1192;
    private static readonly byte[] Magic = "MNDPIXC1"u8.ToArray();

    private readonly SafeFileHandle _file;
    private readonly float[] _palette;
    private readonly byte[] _description;

    private PixelCache(string path, SafeFileHandle file, int valueSize, int[] shape, float[] palette, float[] labels, bool[] unreadable, byte[] description)
    {
        _description = description;
        Path = path;
        _file = file;
        ValueSize = valueSize;
        Shape = shape;
        Width = Tensor.ProductOf(shape);
        _palette = palette;
        Labels = labels;
        Unreadable = unreadable;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>1 (a byte indexing the palette) or 4 (a float).</summary>
    public int ValueSize { get; }

    /// <summary>The per-row shape.</summary>
    public int[] Shape { get; }

    /// <summary>Values per row.</summary>
    public int Width { get; }

    /// <summary>The label of every row of the view, as a target.</summary>
    public float[] Labels { get; }

    /// <summary>Rows that could not be read when the cache was built (skipped).</summary>
    public bool[] Unreadable { get; }

    /// <summary>Bytes per row in the file.</summary>
    public long RowBytes => (long)Width * ValueSize;

    /// <summary>
    /// The cache at <paramref name="path"/> for these rows: reused when <paramref name="reuse"/> is set and the file holds
    /// these data, built (in one pass over the view) otherwise.
    /// </summary>
    /// <exception cref="InvalidDataException">The file to reuse is corrupt; the message names it.</exception>
    public static PixelCache OpenOrBuild(
        string path, IDataView data, DataViewSchema.Column features, TargetReader targets, int[] shape, string role, bool reuse, ReadSettings settings)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (targets.Width != 1 || targets.Spatial is not null)
        {
            throw new NotSupportedException(
                $"The pixel cache keeps one label a row; the targets of this task have shape [{string.Join(", ", targets.Shape)}]. Train without WorkspacePath: the rows are then read into memory or streamed within MemoryBudget.");
        }

        var description = Describe(features, targets.Describe(data.Schema), shape);
        if (reuse && File.Exists(full))
        {
            var cache = Open(full, settings.Cancellation);
            var stale = cache.StaleReason(description, shape, data, targets, role, settings);
            if (stale is null)
            {
                settings.Info($"Reusing the pixel cache '{full}' of the {role} data ({cache.Labels.Length} rows).");
                return cache;
            }

            cache.Dispose();
            settings.Info($"The pixel cache '{full}' was made from other data ({stale}); rebuilding it.");
        }

        Build(full, data, features, targets, shape, role, description, settings);
        return Open(full, settings.Cancellation);
    }

    /// <summary>Opens and checks a cache file (every byte: the token is checked every MiB).</summary>
    /// <exception cref="InvalidDataException">The file is not a pixel cache, or is corrupt.</exception>
    public static PixelCache Open(string path, CancellationToken cancellation)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            return Check(path, file, cancellation);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads file row <paramref name="row"/> into <paramref name="destination"/>, through <paramref name="scratch"/> (at least <see cref="RowBytes"/>).</summary>
    public void ReadRow(int row, Span<float> destination, byte[] scratch)
    {
        var bytes = scratch.AsSpan(0, (int)RowBytes);
        ReadExactly(_file, bytes, HeaderSize + (row * RowBytes), Path);
        if (ValueSize == sizeof(float))
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
            return;
        }

        var palette = _palette;
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[i] = palette[bytes[i]];
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Why the cache does not hold these data, or null when it does.</summary>
    private string? StaleReason(byte[] description, int[] shape, IDataView data, TargetReader targets, string role, ReadSettings settings)
    {
        if (!Shape.AsSpan().SequenceEqual(shape))
        {
            return $"rows of shape {Tensor.Format(Shape)}, not {Tensor.Format(shape)}";
        }

        if (!description.AsSpan().SequenceEqual(_description))
        {
            return "other columns or types";
        }

        if (!settings.SkipUnreadableRows && Unreadable.Contains(true))
        {
            return $"{Unreadable.Count(u => u)} rows were skipped as unreadable, and SkipUnreadableRows is now off";
        }

        var labels = DataViewInput.ReadTargets(data, targets, role, settings);
        if (labels.Length != Labels.Length)
        {
            return $"{Labels.Length} rows, not {labels.Length}";
        }

        return labels.AsSpan().SequenceEqual(Labels) ? null : "other labels";
    }

    private static void Build(string path, IDataView data, DataViewSchema.Column features, TargetReader targets, int[] shape, string role, byte[] description, ReadSettings settings)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Pixel caches are written on little-endian machines only.");
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        settings.Info($"Writing the pixel cache '{path}' of the {role} data (one pass over the view).");
        try
        {
            AtomicFile.Write(path, stream => Write(stream, data, features, targets, shape, role, description, settings, bytes: true));
        }
        catch (NotEightBitException e)
        {
            settings.Info($"The {role} data are not 8-bit ({e.Message}); the pixel cache '{path}' keeps 4-byte floats.");
            AtomicFile.Write(path, stream => Write(stream, data, features, targets, shape, role, description, settings, bytes: false));
        }
    }

    private static void Write(Stream stream, IDataView data, DataViewSchema.Column features, TargetReader targets, int[] shape, string role, byte[] description, ReadSettings settings, bool bytes)
    {
        var width = Tensor.ProductOf(shape);
        var valueSize = bytes ? 1 : sizeof(float);
        var header = new byte[HeaderSize];
        stream.Write(header);
        using var rowsHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var labels = new List<float>();
        var unreadable = new List<bool>();
        var row = new float[width];
        var encoded = new byte[width * valueSize];
        var palette = new Palette();
        using (var rows = new ViewRows(data, features, targets, role, settings))
        {
            while (rows.MoveNext())
            {
                var target = rows.ReadLabel();
                var ok = rows.TryReadFeatures(row);
                if (!ok)
                {
                    Array.Clear(row);
                }

                if (bytes)
                {
                    palette.Encode(row, encoded, rows.Row);
                }
                else
                {
                    MemoryMarshal.AsBytes(row.AsSpan()).CopyTo(encoded);
                }

                stream.Write(encoded);
                rowsHash.AppendData(encoded);
                labels.Add(target);
                unreadable.Add(!ok);
            }
        }

        if (labels.Count == 0)
        {
            throw new ArgumentException($"The {role} data have no rows.");
        }

        var tail = LabelBytes(labels, unreadable);
        stream.Write(tail);
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], valueSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], shape.Length);
        for (var i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(20 + (4 * i))..], shape[i]);
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[52..], labels.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[60..], (long)width * valueSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[68..], bytes ? palette.Count : 0);
        if (bytes)
        {
            MemoryMarshal.AsBytes(palette.Values.AsSpan()).CopyTo(span[72..]);
        }

        SHA256.HashData(tail, span[1096..]);
        rowsHash.GetHashAndReset(span[1128..]);
        description.CopyTo(span[1160..]);
        SHA256.HashData(span[..HashedHeaderBytes], span[HashedHeaderBytes..]);
        stream.Position = 0;
        stream.Write(header);
    }

    private static byte[] LabelBytes(List<float> labels, List<bool> unreadable)
    {
        var tail = new byte[labels.Count * 5L];
        MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(labels)).CopyTo(tail);
        for (var i = 0; i < unreadable.Count; i++)
        {
            tail[(labels.Count * 4L) + i] = unreadable[i] ? (byte)1 : (byte)0;
        }

        return tail;
    }

    /// <summary>Checks every field and byte of an open cache file.</summary>
    private static PixelCache Check(string path, SafeFileHandle file, CancellationToken cancellation)
    {
        var length = RandomAccess.GetLength(file);
        if (length < HeaderSize)
        {
            throw Corrupt(path, $"it holds {length} bytes, fewer than the {HeaderSize} of a header");
        }

        var header = new byte[HeaderSize];
        ReadExactly(file, header, 0, path);
        var span = header.AsSpan();
        if (!span[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not an MlNetDeep pixel cache (its first bytes are not 'MNDPIXC1'). Delete it or point WorkspacePath elsewhere.");
        }

        if (!SHA256.HashData(span[..HashedHeaderBytes]).AsSpan().SequenceEqual(span.Slice(HashedHeaderBytes, 32)))
        {
            throw Corrupt(path, "its header does not match its SHA-256");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (version != Version)
        {
            throw Corrupt(path, $"format version {version}; this version reads {Version}");
        }

        var valueSize = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var rank = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        if (valueSize is not (1 or sizeof(float)))
        {
            throw Corrupt(path, $"{valueSize} bytes a value; expected 1 or 4");
        }

        if (rank is < 1 or > MaxRank)
        {
            throw Corrupt(path, $"rows of rank {rank}; expected 1 to {MaxRank}");
        }

        var shape = new int[rank];
        long width = 1;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(20 + (4 * i))..]);
            width *= shape[i];
            if (shape[i] <= 0 || width > int.MaxValue)
            {
                throw Corrupt(path, $"a row shape [{string.Join(", ", shape[..(i + 1)])}] that is not a positive size of at most {int.MaxValue} values");
            }
        }

        var rows = BinaryPrimitives.ReadInt64LittleEndian(span[52..]);
        var rowBytes = BinaryPrimitives.ReadInt64LittleEndian(span[60..]);
        if (rowBytes != width * valueSize)
        {
            throw Corrupt(path, $"{rowBytes} bytes a row; shape {Tensor.Format(shape)} of {valueSize}-byte values takes {width * valueSize}");
        }

        // Sized against the file before anything is allocated from it.
        var perRow = rowBytes + 5;
        if (rows < 1 || rows > int.MaxValue || rows > (length - HeaderSize) / perRow || HeaderSize + (rows * perRow) != length)
        {
            throw Corrupt(path, string.Create(CultureInfo.InvariantCulture,
                $"{rows} rows of {rowBytes} bytes (and 5 of label and flag) need {HeaderSize} + rows × {perRow} bytes; the file has {length}"));
        }

        var paletteCount = BinaryPrimitives.ReadInt32LittleEndian(span[68..]);
        var palette = MemoryMarshal.Cast<byte, float>(span.Slice(72, 1024)).ToArray();
        if (valueSize == 1 ? paletteCount is < 1 or > 256 : paletteCount != 0)
        {
            throw Corrupt(path, $"a palette of {paletteCount} values for {valueSize}-byte values");
        }

        for (var i = 0; i < paletteCount; i++)
        {
            if (!float.IsFinite(palette[i]))
            {
                throw Corrupt(path, $"palette entry {i} is {palette[i]}");
            }
        }

        // Every row byte against its SHA-256, through a bounded buffer.
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[1 << 20];
            var offset = (long)HeaderSize;
            var end = HeaderSize + (rows * rowBytes);
            while (offset < end)
            {
                cancellation.ThrowIfCancellationRequested();
                var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset));
                ReadExactly(file, chunk, offset, path);
                if (valueSize == 1)
                {
                    foreach (var b in chunk)
                    {
                        if (b >= paletteCount)
                        {
                            throw Corrupt(path, $"a value indexes palette entry {b} of {paletteCount}");
                        }
                    }
                }

                hash.AppendData(chunk);
                offset += chunk.Length;
            }

            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(span.Slice(1128, 32)))
            {
                throw Corrupt(path, "its rows do not match their SHA-256");
            }
        }

        var tail = new byte[rows * 5];
        ReadExactly(file, tail, HeaderSize + (rows * rowBytes), path);
        if (!SHA256.HashData(tail).AsSpan().SequenceEqual(span.Slice(1096, 32)))
        {
            throw Corrupt(path, "its labels do not match their SHA-256");
        }

        var labels = MemoryMarshal.Cast<byte, float>(tail.AsSpan(0, (int)rows * 4)).ToArray();
        var unreadable = new bool[rows];
        for (var i = 0; i < rows; i++)
        {
            var flag = tail[(rows * 4) + i];
            if (flag > 1 || !float.IsFinite(labels[i]))
            {
                throw Corrupt(path, $"row {i} has label {labels[i]} and flag {flag}");
            }

            unreadable[i] = flag == 1;
        }

        return new PixelCache(path, file, valueSize, shape, palette, labels, unreadable, span.Slice(1160, 32).ToArray());
    }

    private static InvalidDataException Corrupt(string path, string what) =>
        new($"Pixel cache '{path}' is corrupt: {what}. Delete it, or set ReuseCachedPixels to false to rebuild it.");

    private static void ReadExactly(SafeFileHandle file, Span<byte> into, long offset, string path)
    {
        while (!into.IsEmpty)
        {
            var n = RandomAccess.Read(file, into, offset);
            if (n <= 0)
            {
                throw Corrupt(path, $"it ends at byte {offset}, before the data its header describes");
            }

            into = into[n..];
            offset += n;
        }
    }

    /// <summary>SHA-256 of what the cache is keyed by: the columns, their types, the task and the row shape.</summary>
    private static byte[] Describe(DataViewSchema.Column features, string targets, int[] shape)
    {
        var text = $"{features.Name}|{features.Type}|{targets}|{Tensor.Format(shape)}";
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The data have more than 256 distinct values.</summary>
    private sealed class NotEightBitException(string message) : Exception(message);

    /// <summary>The distinct values seen so far (at most 256), each with its byte, and a hash table from a value's bits to its byte.</summary>
    private sealed class Palette
    {
        private const int Slots = 1024;
        private readonly uint[] _keys = new uint[Slots];
        private readonly short[] _codes = new short[Slots];

        public Palette() => Array.Fill(_codes, (short)-1);

        public float[] Values { get; } = new float[256];

        public int Count { get; private set; }

        public void Encode(ReadOnlySpan<float> row, Span<byte> into, long rowIndex)
        {
            var bits = MemoryMarshal.Cast<float, uint>(row);
            for (var i = 0; i < bits.Length; i++)
            {
                into[i] = Code(bits[i], rowIndex);
            }
        }

        private byte Code(uint key, long rowIndex)
        {
            var slot = (int)((key * 0x9E3779B1u) >> 22);
            while (true)
            {
                var code = _codes[slot];
                if (code < 0)
                {
                    if (Count == 256)
                    {
                        throw new NotEightBitException(string.Create(CultureInfo.InvariantCulture,
                            $"row {rowIndex} holds a 257th distinct value, {BitConverter.UInt32BitsToSingle(key)}"));
                    }

                    _keys[slot] = key;
                    _codes[slot] = (short)Count;
                    Values[Count] = BitConverter.UInt32BitsToSingle(key);
                    return (byte)Count++;
                }

                if (_keys[slot] == key)
                {
                    return (byte)code;
                }

                slot = (slot + 1) & (Slots - 1);
            }
        }
    }
}
