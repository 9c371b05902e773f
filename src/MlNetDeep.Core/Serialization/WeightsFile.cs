using System.Runtime.InteropServices;
using System.Text;
using MlNetDeep.Layers;

namespace MlNetDeep.Serialization;

/// <summary>
/// Saves and loads a network's parameters and buffers in MlNetDeep's own versioned binary format:
/// magic "MNDW", format version, tensor count, then per tensor its name, rank, dimensions and
/// little-endian float32 values, and a CRC-32 of everything before it. Saving is atomic (a temporary file
/// renamed over the target), so a failure leaves any previous file intact. Loading checks the magic,
/// version, names, shapes, length and checksum, and changes nothing unless all of them are right.
/// </summary>
public static class WeightsFile
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "MNDW"u8;

    /// <summary>Saves the network's weights and buffers to <paramref name="path"/>.</summary>
    public static void Save(Layer network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, stream => Save(network, stream));
    }

    /// <summary>Writes the network's weights and buffers to <paramref name="stream"/>.</summary>
    public static void Save(Layer network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        RequireBuilt(network);
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            var tensors = Tensors(network);
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

        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        stream.Write(bytes);
        Span<byte> crc = stackalloc byte[4];
        BitConverter.TryWriteBytes(crc, Crc32.Update(0, bytes));
        stream.Write(crc);
    }

    /// <summary>Loads weights saved from a network of the same architecture into <paramref name="network"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a weights file, has another version, is truncated or corrupt, or its tensors do not fit the network.</exception>
    public static void Load(Layer network, string path)
    {
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

    /// <summary>Loads weights from <paramref name="stream"/> into <paramref name="network"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a weights file, has another version, is truncated or corrupt, or does not fit the network.</exception>
    public static void Load(Layer network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        RequireBuilt(network);
        var all = new MemoryStream();
        stream.CopyTo(all);
        var bytes = all.GetBuffer().AsSpan(0, (int)all.Length);
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not an MlNetDeep weights file (the magic number 'MNDW' is missing).");
        }

        var version = BitConverter.ToInt32(bytes[4..8]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"weights format version {version} is not supported; this library reads version {FormatVersion}.");
        }

        var stored = BitConverter.ToUInt32(bytes[^4..]);
        var payload = bytes[..^4];
        var expected = Tensors(network);
        var values = new List<float[]>(expected.Count);
        try
        {
            using var r = new BinaryReader(new MemoryStream(all.GetBuffer(), 8, payload.Length - 8), Encoding.UTF8);
            var count = r.ReadInt32();
            if (count != expected.Count)
            {
                throw new InvalidDataException($"the file holds {count} tensors but network '{network.Name}' has {expected.Count}.");
            }

            foreach (var (name, value) in expected)
            {
                var storedName = r.ReadString();
                var rank = r.ReadInt32();
                if (rank is < 1 or > 8)
                {
                    throw new InvalidDataException($"tensor '{storedName}' has rank {rank}; the file is corrupt.");
                }

                var shape = new int[rank];
                for (var d = 0; d < rank; d++)
                {
                    shape[d] = r.ReadInt32();
                }

                if (storedName != name || !shape.AsSpan().SequenceEqual(value.Shape))
                {
                    throw new InvalidDataException(
                        $"the file has tensor '{storedName}' of shape {Tensor.Format(shape)} where network '{network.Name}' has '{name}' of shape {Tensor.Format(value.Shape)}.");
                }

                var data = new float[value.Length];
                var raw = r.ReadBytes(data.Length * sizeof(float));
                if (raw.Length != data.Length * sizeof(float))
                {
                    throw new EndOfStreamException();
                }

                raw.AsSpan().CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
                values.Add(data);
            }

            if (r.BaseStream.Position != r.BaseStream.Length)
            {
                throw new InvalidDataException("the file has unexpected data after the last tensor.");
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the file is truncated: it ends before the tensors it declares.");
        }

        if (Crc32.Update(0, payload) != stored)
        {
            throw new InvalidDataException("the checksum does not match: the file is corrupt.");
        }

        for (var i = 0; i < values.Count; i++)
        {
            values[i].CopyTo(expected[i].Value.Span);
        }
    }

    private static List<(string Name, Tensor Value)> Tensors(Layer network)
    {
        var names = network.ParameterNames();
        var list = network.Parameters.Select((p, i) => (names[i], p.Value)).ToList();
        list.AddRange(network.Buffers.Select(b => ("buffer:" + b.Name, b.Value)));
        return list;
    }

    private static void RequireBuilt(Layer network)
    {
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' must be built (its shapes known) before its weights are saved or loaded.");
        }
    }
}
