using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using MlNetDeep.Layers;

namespace MlNetDeep.Serialization;

/// <summary>
/// Saves and loads a network's parameters and buffers in MlNetDeep's own versioned binary format:
/// magic "MNDW", format version, tensor count, then per tensor its name, rank, dimensions and
/// little-endian float32 values, and a CRC-32 of everything before it. Saving is atomic (a temporary file
/// renamed over the target), so a failure leaves any previous file intact. Loading checks the magic,
/// version, checksum, names, shapes, lengths and that every value is finite, and changes nothing unless all of them are right.
/// </summary>
public static class WeightsFile
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    private const int HeaderLength = 12;

    private static ReadOnlySpan<byte> Magic => "MNDW"u8;

    /// <summary>Saves the network's weights and buffers to <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The network is not built, or a weight or buffer is NaN or infinite (nothing is written).</exception>
    public static void Save(Layer network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(network);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes the network's weights and buffers to <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidOperationException">The network is not built, or a weight or buffer is NaN or infinite (nothing is written).</exception>
    public static void Save(Layer network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(network));
    }

    /// <summary>Loads weights saved from a network of the same architecture into <paramref name="network"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a weights file, has another version, is truncated or corrupt,
    /// holds a non-finite value, or its tensors do not fit the network; the message names the file.</exception>
    public static void Load(Layer network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            Load(network, stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Loads weights from <paramref name="stream"/> (read to its end) into <paramref name="network"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a weights file, has another version, is truncated or corrupt,
    /// holds a non-finite value, or does not fit the network.</exception>
    public static void Load(Layer network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        RequireBuilt(network);
        var all = new MemoryStream();
        stream.CopyTo(all);
        var bytes = all.GetBuffer().AsSpan(0, (int)all.Length);
        Load(network, bytes, ReadTable(bytes));
    }

    /// <summary>
    /// Reads and checks the table of a weights file held in <paramref name="bytes"/> — magic, version, checksum, and every
    /// tensor's name, shape and extent — without allocating anything in proportion to what the file declares.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a complete, intact weights file.</exception>
    internal static IReadOnlyList<StoredTensor> ReadTable(ReadOnlySpan<byte> bytes)
    {
        var magicLength = Math.Min(bytes.Length, Magic.Length);
        if (!bytes[..magicLength].SequenceEqual(Magic[..magicLength]))
        {
            throw new InvalidDataException("not an MlNetDeep weights file (the magic number 'MNDW' is missing).");
        }

        if (bytes.Length >= 8)
        {
            var version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"weights format version {version} is not supported; this library reads version {FormatVersion}.");
            }
        }

        if (bytes.Length < HeaderLength + sizeof(uint))
        {
            throw Truncated();
        }

        var payload = bytes[..^sizeof(uint)];
        if (Crc32.Update(0, payload) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^sizeof(uint)..]))
        {
            throw new InvalidDataException("the checksum does not match: the file is corrupt or truncated.");
        }

        var reader = new SpanReader(payload, 8);
        var count = reader.Int32();
        if (count < 0 || count > payload.Length)
        {
            throw new InvalidDataException($"the file declares {count} tensors; it is corrupt.");
        }

        var table = new List<StoredTensor>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var name = reader.String();
            var shape = reader.Shape($"tensor '{name}'");
            long length = Tensor.ProductOf(shape);
            var offset = reader.Position;
            if (length * sizeof(float) > payload.Length - offset)
            {
                throw new InvalidDataException(
                    $"tensor '{name}' of shape {Tensor.Format(shape)} needs {length * sizeof(float)} bytes but only {payload.Length - offset} remain: the file is corrupt.");
            }

            reader.Skip((int)length * sizeof(float));
            table.Add(new StoredTensor(name, shape, offset));
        }

        if (reader.Position != payload.Length)
        {
            throw new InvalidDataException("the file has unexpected data after the last tensor.");
        }

        return table;
    }

    /// <summary>Copies the tensors of <paramref name="table"/> (read from <paramref name="bytes"/>) into <paramref name="network"/>,
    /// after checking that names and shapes match it and that every value is finite; nothing changes unless all do.</summary>
    internal static void Load(Layer network, ReadOnlySpan<byte> bytes, IReadOnlyList<StoredTensor> table)
    {
        var expected = Tensors(network);
        if (table.Count != expected.Count)
        {
            throw new InvalidDataException($"the file holds {table.Count} tensors but network '{network.Name}' has {expected.Count}.");
        }

        for (var i = 0; i < table.Count; i++)
        {
            var (name, value) = expected[i];
            var stored = table[i];
            if (stored.Name != name || !stored.Shape.AsSpan().SequenceEqual(value.Shape))
            {
                throw new InvalidDataException(
                    $"the file has tensor '{stored.Name}' of shape {Tensor.Format(stored.Shape)} where network '{network.Name}' has '{name}' of shape {Tensor.Format(value.Shape)}.");
            }

            var bad = Tensor.IndexOfNonFinite(Values(bytes, stored));
            if (bad >= 0)
            {
                throw new InvalidDataException($"tensor '{stored.Name}' holds {Values(bytes, stored)[bad]} at index {bad}; every weight must be finite.");
            }
        }

        for (var i = 0; i < table.Count; i++)
        {
            Values(bytes, table[i]).CopyTo(expected[i].Value.Span);
        }
    }

    private static ReadOnlySpan<float> Values(ReadOnlySpan<byte> bytes, StoredTensor tensor) =>
        MemoryMarshal.Cast<byte, float>(bytes.Slice(tensor.Offset, tensor.Length * sizeof(float)));

    private static byte[] Serialize(Layer network)
    {
        RequireBuilt(network);
        var tensors = Tensors(network);
        foreach (var (name, value) in tensors)
        {
            var bad = value.IndexOfNonFinite();
            if (bad >= 0)
            {
                throw new InvalidOperationException(
                    $"Network '{network.Name}' cannot be saved: tensor '{name}' holds {value[bad]} at index {bad}. Every weight must be finite; "
                    + "the training that produced it diverged (lower the learning rate or clip gradients). Nothing was written.");
            }
        }

        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(tensors.Count);
            foreach (var (name, value) in tensors)
            {
                w.Write(name);
                w.Write(value.Rank);
                foreach (var d in value.Shape)
                {
                    w.Write(d);
                }

                w.Write(MemoryMarshal.AsBytes(value.Span));
            }
        }

        var length = (int)body.Length;
        var result = new byte[length + sizeof(uint)];
        body.GetBuffer().AsSpan(0, length).CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(length), Crc32.Update(0, result.AsSpan(0, length)));
        return result;
    }

    private static List<(string Name, Tensor Value)> Tensors(Layer network)
    {
        var names = network.ParameterNames();
        var list = network.Parameters.Select((p, i) => (names[i], p.Value)).ToList();
        list.AddRange(network.Buffers.Select(b => ("buffer:" + b.Name, b.Value)));
        return list;
    }

    private static InvalidDataException Truncated() => new("the file is truncated: it ends before the tensors it declares.");

    private static void RequireBuilt(Layer network)
    {
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' must be built (its shapes known) before its weights are saved or loaded.");
        }
    }
}
