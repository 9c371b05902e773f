namespace MlNetDeep.Onnx;

/// <summary>Names and form of an exported ONNX graph.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The graph input's name; <c>input</c> by default.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name; <c>output</c> by default.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The symbolic name of the batch dimension (the first of the input and the output), so any batch size runs.</summary>
    public string BatchDimensionName { get; init; } = "N";

    /// <summary>What follows the network's last layer; <see cref="OnnxOutputHead.None"/> by default.</summary>
    public OnnxOutputHead Head { get; init; } = OnnxOutputHead.None;

    /// <summary>
    /// When true the input is declared flat, [N, F] with F the number of values per sample, and reshaped to the network's
    /// per-sample shape inside the graph (for callers that hold images as flat vectors, such as an ML.NET features column).
    /// </summary>
    public bool FlatInput { get; init; }
}
