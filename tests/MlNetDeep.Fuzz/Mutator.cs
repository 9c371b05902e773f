using System.Buffers.Binary;

namespace MlNetDeep.Fuzz;

/// <summary>Byte-level mutations of the kind that find parser bugs: flips, interesting integers, inserted, deleted,
/// repeated and truncated ranges.</summary>
internal static class Mutator
{
    private static readonly int[] InterestingInts =
    [
        0, 1, -1, 2, 3, 7, 8, 16, 255, 256, 1023, 1024, 4096, 46340, 65535, 65536, 1 << 20, 1 << 24, int.MaxValue, int.MinValue,
        int.MaxValue - 1, int.MaxValue / 2, -2, -100,
    ];

    /// <summary>Applies 1 to 4 random byte-level mutations to a copy of <paramref name="data"/>.</summary>
    public static byte[] Bytes(Random random, byte[] data)
    {
        var list = new List<byte>(data);
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            Once(random, list);
        }

        return [.. list];
    }

    /// <summary>Applies byte-level mutations only within [<paramref name="start"/>, end − <paramref name="tail"/>) of a copy.</summary>
    public static byte[] Within(Random random, byte[] data, int start, int tail)
    {
        if (data.Length - tail - start <= 0)
        {
            return Bytes(random, data);
        }

        var middle = Bytes(random, data[start..^tail]);
        return [.. data[..start], .. middle, .. data[^tail..]];
    }

    private static void Once(Random random, List<byte> d)
    {
        if (d.Count == 0)
        {
            d.Add((byte)random.Next(256));
            return;
        }

        var at = random.Next(d.Count);
        switch (random.Next(9))
        {
            case 0: // flip a bit
                d[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // a random byte
                d[at] = (byte)random.Next(256);
                break;
            case 2: // an interesting int32 at an aligned or unaligned place
            case 3:
                {
                    Span<byte> four = stackalloc byte[4];
                    BinaryPrimitives.WriteInt32LittleEndian(four, InterestingInts[random.Next(InterestingInts.Length)]);
                    at = random.Next(2) == 0 ? at & ~3 : at;
                    for (var k = 0; k < 4 && at + k < d.Count; k++)
                    {
                        d[at + k] = four[k];
                    }

                    break;
                }

            case 4: // delete a range
                d.RemoveRange(at, Math.Min(d.Count - at, 1 + random.Next(Math.Min(64, d.Count))));
                break;
            case 5: // insert random bytes
                d.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                break;
            case 6: // repeat a range
                {
                    var length = Math.Min(d.Count - at, 1 + random.Next(64));
                    d.InsertRange(random.Next(d.Count), d.GetRange(at, length));
                    break;
                }

            case 7: // truncate
                d.RemoveRange(at, d.Count - at);
                break;
            default: // a float that hurts: NaN, ∞, huge, tiny
                {
                    float[] floats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, 1e-30f, -0f, float.MaxValue];
                    Span<byte> four = stackalloc byte[4];
                    BinaryPrimitives.WriteSingleLittleEndian(four, floats[random.Next(floats.Length)]);
                    at &= ~3;
                    for (var k = 0; k < 4 && at + k < d.Count; k++)
                    {
                        d[at + k] = four[k];
                    }

                    break;
                }
        }
    }
}
