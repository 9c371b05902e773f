using MlNetDeep.Layers;

namespace MlNetDeep.Onnx;

/// <summary>An ONNX graph imported as a built MlNetDeep network, with the names that tie it back to the file.</summary>
public sealed class OnnxImportResult
{
    internal OnnxImportResult(
        Layer network,
        string inputName,
        string outputName,
        IReadOnlyDictionary<string, Parameter> parameters,
        IReadOnlyDictionary<string, Tensor> buffers)
    {
        Network = network;
        InputName = inputName;
        OutputName = outputName;
        Parameters = parameters;
        Buffers = buffers;
    }

    /// <summary>
    /// The network, built for the input shape and holding the file's weights: a <see cref="Sequential"/> when the graph is a
    /// chain, else a <see cref="Graph"/>. Train it like any other (fine-tuning, transfer learning), save it with
    /// <c>NetworkFile</c>, export it again with <see cref="OnnxExport"/>.
    /// </summary>
    public Layer Network { get; }

    /// <summary>The per-sample input shape.</summary>
    public ReadOnlySpan<int> InputShape => Network.InputShape;

    /// <summary>The name of the file's graph input.</summary>
    public string InputName { get; }

    /// <summary>The name of the file's graph output.</summary>
    public string OutputName { get; }

    /// <summary>
    /// The network's trainable parameters by the name of the ONNX initializer they came from (such as <c>conv1.weight</c> for
    /// a PyTorch export), in the layer's layout: a MatMul's or an untransposed Gemm's [in, out] weight is held as [out, in],
    /// a fused MatMul + Add's bias under the Add's initializer.
    /// </summary>
    public IReadOnlyDictionary<string, Parameter> Parameters { get; }

    /// <summary>Saved state that is not trained (batch normalisation's running mean and variance) by initializer name.</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers { get; }
}
