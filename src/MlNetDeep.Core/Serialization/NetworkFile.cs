using System.Buffers.Binary;
using System.Text;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Serialization;

/// <summary>
/// Saves a whole network — architecture, weights and buffers — so that it can be loaded in another process
/// without the code that created it, and clones networks in memory.
/// </summary>
/// <remarks>
/// <para>The format (all integers little-endian; strings are .NET <see cref="BinaryWriter"/> strings: a 7-bit
/// encoded byte length followed by UTF-8):</para>
/// <list type="number">
/// <item>the magic <c>MNDN</c> (4 bytes) and the format version (int32, <see cref="FormatVersion"/>);</item>
/// <item>the length in bytes of the body that follows (int32);</item>
/// <item>the body: the per-sample input shape (int32 rank, then int32 dimensions); the architecture, a tree of
/// <see cref="LayerDescription"/>s, each written as its type key, its name, the number of settings (int32), each
/// setting's key and value (in ordinal key order), the number of children (int32) and the children; then the
/// length (int32) and bytes of a complete <see cref="WeightsFile"/> holding the parameters and buffers;</item>
/// <item>a CRC-32 (IEEE) of everything before it (uint32).</item>
/// </list>
/// <para>Only what inference needs is saved: optimizer state, gradients, frozen flags and dropout's random stream
/// are not, so continuing training from a loaded network starts with a fresh optimizer.</para>
/// <para>Layer types are identified by stable keys (see <see cref="LayerRegistry"/>); a layer of your own must
/// override <see cref="Layer.Describe"/> and be registered with <see cref="LayerRegistry.Register"/> to be saved,
/// loaded or cloned.</para>
/// </remarks>
public static class NetworkFile
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    private const int HeaderLength = 12;
    private const int MaxDepth = 256;

    /// <summary>Values a loaded network may allocate beyond twice its saved values (buffers without saved values).</summary>
    private const long BuildSlack = 1 << 20;

    private static ReadOnlySpan<byte> Magic => "MNDN"u8;

    /// <summary>Saves the built <paramref name="network"/> to <paramref name="path"/>, atomically: a temporary file
    /// is written and renamed over the target, so a failure leaves any previous file intact.</summary>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be described (see <see cref="Layer.Describe"/>).</exception>
    public static void Save(Layer network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(network);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes the built <paramref name="network"/> to <paramref name="stream"/>. Nothing is written when it fails.</summary>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be described (see <see cref="Layer.Describe"/>).</exception>
    public static void Save(Layer network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(network));
    }

    /// <summary>Loads a network saved with <see cref="Save(Layer, string)"/>: built, with the saved weights and buffers,
    /// ready for inference.</summary>
    /// <exception cref="InvalidDataException">The file is not a network file, has another version, is truncated or corrupt,
    /// or names a layer type that is not registered; the message includes the path.</exception>
    public static Layer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            var network = Load(stream);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"the file has {stream.Length - stream.Position} unexpected bytes after the network.");
            }

            return network;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads a network written by <see cref="Save(Layer, Stream)"/> from <paramref name="stream"/>, consuming
    /// exactly the bytes that were written (so a network can be embedded in a larger stream).</summary>
    /// <exception cref="InvalidDataException">The data is not a network, has another version, is truncated or corrupt,
    /// or names a layer type that is not registered.</exception>
    public static Layer Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadUpTo(stream, HeaderLength);
        var magicLength = Math.Min(header.Length, Magic.Length);
        if (!header.AsSpan(0, magicLength).SequenceEqual(Magic[..magicLength]))
        {
            throw new InvalidDataException("not an MlNetDeep network file (the magic number 'MNDN' is missing).");
        }

        if (header.Length >= 8)
        {
            var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"network format version {version} is not supported; this library reads version {FormatVersion}.");
            }
        }

        if (header.Length < HeaderLength)
        {
            throw Truncated();
        }

        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (bodyLength < 0 || bodyLength > int.MaxValue - HeaderLength - sizeof(uint))
        {
            throw new InvalidDataException($"the declared length {bodyLength} is invalid: the file is corrupt.");
        }

        var rest = ReadUpTo(stream, bodyLength + sizeof(uint));
        if (rest.Length < bodyLength + sizeof(uint))
        {
            throw Truncated();
        }

        var crc = Crc32.Update(Crc32.Update(0, header), rest.AsSpan(0, bodyLength));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(bodyLength)))
        {
            throw new InvalidDataException("the checksum does not match: the file is corrupt.");
        }

        return Parse(rest, bodyLength);
    }

    /// <summary>
    /// Returns an independent copy of the built <paramref name="network"/> with identical weights and buffers: it
    /// is re-created from <see cref="Layer.Describe"/> by <see cref="LayerRegistry"/>, built for the same input shape,
    /// and given copies of the parameter values (and frozen flags) and buffers. The copy has its own per-call buffers,
    /// so the original and the copy can run on different threads at once. Gradients and optimizer state are not copied,
    /// and dropout in the copy draws from its own random stream.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network is not built, or its description does not reproduce its parameters.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be described (see <see cref="Layer.Describe"/>).</exception>
    public static Layer Clone(Layer network)
    {
        ArgumentNullException.ThrowIfNull(network);
        RequireBuilt(network, "cloned");
        var copy = LayerRegistry.Create(network.Describe());
        copy.Build(network.InputShape, new RandomSource(0));
        copy.ComputeInputGradient = network.ComputeInputGradient;
        var source = network.Parameters;
        var target = copy.Parameters;
        var sourceBuffers = network.Buffers;
        var targetBuffers = copy.Buffers;
        if (source.Count != target.Count || sourceBuffers.Count != targetBuffers.Count
            || Enumerable.Range(0, source.Count).Any(i => !source[i].Value.Shape.SequenceEqual(target[i].Value.Shape))
            || Enumerable.Range(0, sourceBuffers.Count).Any(i => !sourceBuffers[i].Value.Shape.SequenceEqual(targetBuffers[i].Value.Shape)))
        {
            throw new InvalidOperationException(
                $"Network '{network.Name}' cannot be cloned: the layers re-created from its description have other parameters or buffers; check the Describe overrides and registered factories.");
        }

        for (var i = 0; i < source.Count; i++)
        {
            target[i].Value.CopyFrom(source[i].Value);
            target[i].Frozen = source[i].Frozen;
        }

        for (var i = 0; i < sourceBuffers.Count; i++)
        {
            targetBuffers[i].Value.CopyFrom(sourceBuffers[i].Value);
        }

        return copy;
    }

    private static byte[] Serialize(Layer network)
    {
        RequireBuilt(network, "saved");
        var description = network.Describe();
        var weights = new MemoryStream();
        WeightsFile.Save(network, weights);

        var file = new MemoryStream();
        using (var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(0); // the body length, filled in below
            var input = network.InputShape;
            w.Write(input.Length);
            foreach (var d in input)
            {
                w.Write(d);
            }

            Write(w, description);
            w.Write(checked((int)weights.Length));
            w.Write(weights.GetBuffer().AsSpan(0, (int)weights.Length));
        }

        var bodyLength = checked((int)file.Length - HeaderLength);
        var bytes = file.GetBuffer().AsSpan(0, (int)file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], bodyLength);
        var result = new byte[bytes.Length + sizeof(uint)];
        bytes.CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(bytes.Length), Crc32.Update(0, bytes));
        return result;
    }

    private static void Write(BinaryWriter w, LayerDescription description)
    {
        w.Write(description.TypeKey);
        w.Write(description.Name);
        w.Write(description.Settings.Count);
        foreach (var (key, value) in description.Settings)
        {
            w.Write(key);
            w.Write(value);
        }

        w.Write(description.Children.Count);
        foreach (var child in description.Children)
        {
            Write(w, child);
        }
    }

    private static Layer Parse(byte[] body, int bodyLength)
    {
        var bytes = body.AsSpan(0, bodyLength);
        var r = new SpanReader(bytes);
        var inputShape = r.Shape("the input shape");
        var description = Read(ref r, 0);
        var weightsLength = r.Int32();
        if (weightsLength < 0 || weightsLength != r.Remaining)
        {
            throw new InvalidDataException($"the weights block length {weightsLength} does not fit the file ({r.Remaining} bytes remain); the file is corrupt.");
        }

        var weights = bytes[r.Position..];
        var table = WeightsFile.ReadTable(weights);

        // The description is someone else's: check what it asks for against the values the file really holds before
        // anything is allocated. Parameters take twice their values (value and gradient); the slack covers buffers
        // that hold no saved values.
        var stored = table.Sum(t => (long)t.Length);
        var limit = (2 * stored) + BuildSlack;
        var network = LayerRegistry.Create(description);
        try
        {
            using (AllocationBudget.Limit(limit, asked =>
                $"network '{description.Name}' asks for more than {asked - 1:N0} values when built for input shape {Tensor.Format(inputShape)}, " +
                $"but the file holds only {stored:N0} saved values; the file is corrupt."))
            {
                network.Build(inputShape, new RandomSource(0));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException)
        {
            throw new InvalidDataException(
                $"network '{description.Name}' cannot be built for input shape {Tensor.Format(inputShape)}: {e.Message}", e);
        }

        WeightsFile.Load(network, weights, table);
        return network;
    }

    private static LayerDescription Read(ref SpanReader r, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"the architecture is nested more than {MaxDepth} levels deep; the file is corrupt.");
        }

        var typeKey = r.String();
        var name = r.String();
        var settingCount = ReadCount(ref r, "settings");
        var settings = new List<KeyValuePair<string, string>>(settingCount);
        for (var i = 0; i < settingCount; i++)
        {
            settings.Add(new(r.String(), r.String()));
        }

        var childCount = ReadCount(ref r, "children");
        var children = new List<LayerDescription>(childCount);
        for (var i = 0; i < childCount; i++)
        {
            children.Add(Read(ref r, depth + 1));
        }

        if (typeKey.Length == 0)
        {
            throw new InvalidDataException("a layer has an empty type key; the file is corrupt.");
        }

        try
        {
            return new LayerDescription(typeKey, name, settings, children);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"layer '{name}' of type '{typeKey}' is malformed: {e.Message}", e);
        }
    }

    private static int ReadCount(ref SpanReader r, string what)
    {
        // Every setting or child takes at least two bytes, so a count above the bytes left is corrupt (and never allocated).
        var count = r.Int32();
        return count >= 0 && count <= r.Remaining / 2
            ? count
            : throw new InvalidDataException($"a layer declares {count} {what}; the file is corrupt.");
    }

    /// <summary>Reads up to <paramref name="count"/> bytes, fewer only at the end of the stream, without allocating
    /// more than has actually been read (a corrupt length must not cause a huge allocation).</summary>
    private static byte[] ReadUpTo(Stream stream, int count)
    {
        const int Chunk = 1 << 20;
        if (count <= Chunk)
        {
            var small = new byte[count];
            var n = stream.ReadAtLeast(small, count, throwOnEndOfStream: false);
            return n == count ? small : small[..n];
        }

        var buffer = new MemoryStream();
        var chunk = new byte[Chunk];
        while (buffer.Length < count)
        {
            var n = stream.Read(chunk, 0, (int)Math.Min(Chunk, count - buffer.Length));
            if (n == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static InvalidDataException Truncated() =>
        new("the file is truncated: it ends before the network it declares.");

    private static void RequireBuilt(Layer network, string action)
    {
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException(
                $"Network '{network.Name}' must be built (its input shape known) before it is {action}.");
        }
    }
}
