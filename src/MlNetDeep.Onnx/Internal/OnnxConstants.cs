using System.Runtime.InteropServices;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Internal;

/// <summary>
/// Decodes ONNX tensors (initializers, Constant values) from a file someone else wrote: the declared shape is checked against
/// the bytes actually present before anything is allocated, and only data held in the file itself is accepted.
/// </summary>
internal static class OnnxConstants
{
    /// <summary>The most values one tensor may declare (the engine's tensors are indexed by int).</summary>
    private const long MaxValues = int.MaxValue / 2;

    public static ImportedConstant Decode(TensorProto tensor, string what)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
        {
            throw new InvalidDataException($"{what} keeps its data in an external file, which MlNetDeep does not read; save the model with its weights inside.");
        }

        if (tensor.Segment is not null)
        {
            throw new InvalidDataException($"{what} is stored in segments, which MlNetDeep does not read.");
        }

        var dims = tensor.Dims.ToArray();
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0 || d > MaxValues || (count = count * d) > MaxValues)
            {
                throw new InvalidDataException($"{what} declares the shape [{string.Join(", ", dims)}], which is negative or larger than {MaxValues} values.");
            }
        }

        var raw = tensor.RawData;
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                if (raw.Length > 0 || tensor.FloatData.Count == 0)
                {
                    Expect(what, raw.Length, count * sizeof(float), "bytes of raw data");
                    return new ImportedConstant(tensor.Name, dims, MemoryMarshal.Cast<byte, float>(raw.Span).ToArray(), null);
                }

                Expect(what, tensor.FloatData.Count, count, "float values");
                return new ImportedConstant(tensor.Name, dims, [.. tensor.FloatData], null);
            case TensorProto.Types.DataType.Int64:
                if (raw.Length > 0 || tensor.Int64Data.Count == 0)
                {
                    Expect(what, raw.Length, count * sizeof(long), "bytes of raw data");
                    return new ImportedConstant(tensor.Name, dims, null, MemoryMarshal.Cast<byte, long>(raw.Span).ToArray());
                }

                Expect(what, tensor.Int64Data.Count, count, "int64 values");
                return new ImportedConstant(tensor.Name, dims, null, [.. tensor.Int64Data]);
            case TensorProto.Types.DataType.Int32:
                if (raw.Length > 0 || tensor.Int32Data.Count == 0)
                {
                    Expect(what, raw.Length, count * sizeof(int), "bytes of raw data");
                    return new ImportedConstant(tensor.Name, dims, null, [.. MemoryMarshal.Cast<byte, int>(raw.Span).ToArray().Select(v => (long)v)]);
                }

                Expect(what, tensor.Int32Data.Count, count, "int32 values");
                return new ImportedConstant(tensor.Name, dims, null, [.. tensor.Int32Data.Select(v => (long)v)]);
            case TensorProto.Types.DataType.Bool:
            case TensorProto.Types.DataType.Uint8:
                if (raw.Length > 0 || tensor.Int32Data.Count == 0)
                {
                    Expect(what, raw.Length, count, "bytes of raw data");
                    return new ImportedConstant(tensor.Name, dims, null, [.. raw.Span.ToArray().Select(v => (long)v)]);
                }

                Expect(what, tensor.Int32Data.Count, count, "int32 values");
                return new ImportedConstant(tensor.Name, dims, null, [.. tensor.Int32Data.Select(v => (long)v)]);
            case TensorProto.Types.DataType.Double:
                if (raw.Length > 0 || tensor.DoubleData.Count == 0)
                {
                    Expect(what, raw.Length, count * sizeof(double), "bytes of raw data");
                    return new ImportedConstant(tensor.Name, dims, [.. MemoryMarshal.Cast<byte, double>(raw.Span).ToArray().Select(v => (float)v)], null);
                }

                Expect(what, tensor.DoubleData.Count, count, "double values");
                return new ImportedConstant(tensor.Name, dims, [.. tensor.DoubleData.Select(v => (float)v)], null);
            default:
                throw new InvalidDataException(
                    $"{what} has element type {(TensorProto.Types.DataType)tensor.DataType} ({tensor.DataType}); MlNetDeep reads float, double, int32, int64, uint8 and bool tensors.");
        }
    }

    private static void Expect(string what, long actual, long expected, string unit)
    {
        if (actual != expected)
        {
            throw new InvalidDataException($"{what} holds {actual} {unit}; its shape needs {expected}.");
        }
    }
}
