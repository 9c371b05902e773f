namespace MlNetDeep.Onnx.Internal;

/// <summary>A constant of an imported graph (an initializer or a Constant node): its shape and its values as floats or int64s.</summary>
internal sealed class ImportedConstant(string name, long[] dims, float[]? floats, long[]? integers)
{
    public string Name { get; } = name;

    public long[] Dims { get; } = dims;

    public float[]? Floats { get; } = floats;

    public long[]? Integers { get; } = integers;

    public long Count => Floats?.Length ?? Integers!.Length;

    public string Shape => "[" + string.Join(", ", Dims) + "]";
}
