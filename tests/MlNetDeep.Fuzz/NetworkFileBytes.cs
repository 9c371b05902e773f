using System.Buffers.Binary;
using System.Text;
using MlNetDeep.Serialization;

namespace MlNetDeep.Fuzz;

/// <summary>
/// Writes and takes apart MlNetDeep's binary formats (network files "MNDN", weights files "MNDW") byte by byte, so that
/// tests and the fuzzer can make files that are well formed but say anything — a huge layer, a NaN weight, a bad shape —
/// with valid lengths and checksums, which is what a hostile file looks like.
/// </summary>
public static class NetworkFileBytes
{
    /// <summary>A network file with the given input shape, architecture and weights block, with a valid length and CRC.</summary>
    public static byte[] Compose(int[] inputShape, LayerDescription architecture, byte[] weights)
    {
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(inputShape.Length);
            foreach (var d in inputShape)
            {
                w.Write(d);
            }

            Write(w, architecture);
            w.Write(weights.Length);
            w.Write(weights);
        }

        return WithHeader("MNDN"u8, body.ToArray());
    }

    /// <summary>A weights file holding <paramref name="tensors"/>, with a valid CRC.</summary>
    public static byte[] Weights(IEnumerable<(string Name, int[] Shape, float[] Values)> tensors)
    {
        var list = tensors.ToList();
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("MNDW"u8);
            w.Write(1);
            w.Write(list.Count);
            foreach (var (name, shape, values) in list)
            {
                w.Write(name);
                w.Write(shape.Length);
                foreach (var d in shape)
                {
                    w.Write(d);
                }

                foreach (var v in values)
                {
                    w.Write(v);
                }
            }
        }

        return WithCrc(body.ToArray());
    }

    /// <summary>Recomputes the body length and the CRC of a network file whose body was changed (its length may differ).</summary>
    public static byte[] FixNetworkFile(byte[] file)
    {
        if (file.Length < 16)
        {
            return file;
        }

        var body = file.AsSpan(12, file.Length - 16).ToArray();

        // The weights block ([int32 length]["MNDW"...][CRC]) ends the body and has a CRC of its own: fix it too when the
        // block can still be found, so that damage inside it reaches the weight checks.
        var at = body.AsSpan().LastIndexOf("MNDW"u8);
        if (at >= 4 && BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(at - 4)) == body.Length - at && body.Length - at >= 4)
        {
            FixWeightsFile(body.AsSpan(at).ToArray()).CopyTo(body, at);
        }

        return WithHeader(file.AsSpan(0, 4), body, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(4)));
    }

    /// <summary>Recomputes the CRC of a weights file whose content was changed.</summary>
    public static byte[] FixWeightsFile(byte[] file) => file.Length < 4 ? file : WithCrc(file[..^4]);

    /// <summary>Appends the CRC-32 of <paramref name="payload"/>.</summary>
    public static byte[] WithCrc(ReadOnlySpan<byte> payload)
    {
        var result = new byte[payload.Length + 4];
        payload.CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(payload.Length), Crc32(payload));
        return result;
    }

    private static byte[] WithHeader(ReadOnlySpan<byte> magic, byte[] body, int version = 1)
    {
        var file = new byte[12 + body.Length];
        magic.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(4), version);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(8), body.Length);
        body.CopyTo(file, 12);
        return WithCrc(file);
    }

    private static void Write(BinaryWriter w, LayerDescription d)
    {
        w.Write(d.TypeKey);
        w.Write(d.Name);
        w.Write(d.Settings.Count);
        foreach (var (key, value) in d.Settings)
        {
            w.Write(key);
            w.Write(value);
        }

        w.Write(d.Children.Count);
        foreach (var child in d.Children)
        {
            Write(w, child);
        }
    }

    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        }

        return c;
    })];

    /// <summary>CRC-32 (IEEE), written out here so that the files are made independently of the code under test.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }
}
