using System.Buffers.Binary;
using System.Text;

namespace MlNetDeep.Serialization;

/// <summary>
/// Reads the little-endian integers and <see cref="BinaryWriter"/>-style strings of MlNetDeep's binary formats from
/// bytes already in memory, with every read bounded by what is there: running past the end is an
/// <see cref="InvalidDataException"/>, never an allocation sized by a corrupt length.
/// </summary>
internal ref struct SpanReader(ReadOnlySpan<byte> bytes, int position = 0)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    /// <summary>The offset of the next byte to read.</summary>
    public int Position { get; private set; } = position;

    /// <summary>The bytes left to read.</summary>
    public readonly int Remaining => _bytes.Length - Position;

    /// <summary>Reads a little-endian int32.</summary>
    public int Int32()
    {
        Require(sizeof(int));
        var value = BinaryPrimitives.ReadInt32LittleEndian(_bytes[Position..]);
        Position += sizeof(int);
        return value;
    }

    /// <summary>Reads a string written by <see cref="BinaryWriter.Write(string)"/>: a 7-bit encoded byte length, then UTF-8.</summary>
    public string String()
    {
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > 28)
            {
                throw new InvalidDataException("a string length is malformed: the file is corrupt.");
            }

            Require(1);
            var b = _bytes[Position++];
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        if (length < 0 || length > Remaining)
        {
            throw new InvalidDataException($"a string of {length} bytes runs past the end of the data: the file is corrupt or truncated.");
        }

        var text = Encoding.UTF8.GetString(_bytes.Slice(Position, length));
        Position += length;
        return text;
    }

    /// <summary>Reads a shape — an int32 rank of 1 to 8, then that many int32 dimensions — checking that every dimension is
    /// positive and that the values it holds fit in an int.</summary>
    /// <param name="what">Names the shape in the message, such as "the input shape" or "tensor 'w'".</param>
    public int[] Shape(string what)
    {
        var rank = Int32();
        if (rank is < 1 or > 8)
        {
            throw new InvalidDataException($"{what} has rank {rank}; expected 1 to 8: the file is corrupt.");
        }

        var shape = new int[rank];
        long length = 1;
        for (var d = 0; d < rank; d++)
        {
            shape[d] = Int32();
            length *= Math.Max(shape[d], 1);
            if (shape[d] <= 0 || length > int.MaxValue)
            {
                throw new InvalidDataException(
                    $"{what} has dimension {d} of {shape[d]}{(shape[d] > 0 ? $", which makes more than {int.MaxValue} values" : string.Empty)}: the file is corrupt.");
            }
        }

        return shape;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count)
    {
        Require(count);
        Position += count;
    }

    private readonly void Require(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new InvalidDataException("the data end before what they declare: the file is corrupt or truncated.");
        }
    }
}
