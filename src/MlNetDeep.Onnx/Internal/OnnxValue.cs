using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Internal;

/// <summary>A graph input or output to declare: its name, element type and per-sample shape (the batch dimension is added, symbolic).</summary>
internal sealed record OnnxValue(string Name, TensorProto.Types.DataType ElementType, int[] PerSampleShape)
{
    public static OnnxValue Float(string name, int[] perSampleShape) => new(name, TensorProto.Types.DataType.Float, perSampleShape);

    /// <summary>The declaration, with a symbolic batch dimension named <paramref name="batchName"/> first, or none when null
    /// (a graph that takes one sample at a time, as ML.NET's ApplyOnnxModel feeds it).</summary>
    public ValueInfoProto ToValueInfo(string? batchName)
    {
        var shape = new TensorShapeProto();
        if (batchName is not null)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchName });
        }

        foreach (var d in PerSampleShape)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = Name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)ElementType, Shape = shape } },
        };
    }
}
