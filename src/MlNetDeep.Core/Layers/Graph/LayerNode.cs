using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>A layer applied to the output of one node.</summary>
internal sealed class LayerNode(Graph graph, string name, string input, Layer layer) : GraphNode(graph, name, [input])
{
    private bool _hasParameters;

    /// <inheritdoc />
    public override GraphNodeKind Kind => GraphNodeKind.Layer;

    /// <inheritdoc />
    public override Layer Layer { get; } = layer;

    /// <inheritdoc />
    private protected override bool HasParameters => _hasParameters;

    /// <inheritdoc />
    private protected override int[] OnBuild(int[] graphInputShape, RandomSource random)
    {
        var source = Inputs[0];
        int[] shape;
        try
        {
            shape = Layer.Build(source.OutputShape, random);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            var message = $"Graph '{Graph.Name}': node '{Name}' (layer '{Layer.Name}') cannot take the output of '{source.Name}', "
                + $"of shape {Tensor.Format(source.OutputShape)}: {e.Message}";
            throw e is ArgumentException ? new ArgumentException(message, e) : new InvalidOperationException(message, e);
        }

        _hasParameters = Layer.Parameters.Count > 0;
        return shape;
    }

    /// <inheritdoc />
    internal override Tensor Forward(Tensor graphInput, bool training) => Output = Layer.Forward(Inputs[0].Output!, training);

    /// <summary>The inference pass of a convolution node whose outputs go through <paramref name="epilogue"/> (the batch norm and/or ReLU nodes after it).</summary>
    internal Tensor ForwardInference(ConvolutionEpilogue epilogue) => Output = ((ConvolutionLayer)Layer).ForwardInference(Inputs[0].Output!, epilogue);

    /// <summary>Takes <paramref name="output"/> as this node's output without running the layer (its input node already applied it).</summary>
    internal Tensor PassThrough(Tensor output) => Output = output;

    /// <inheritdoc />
    internal override void Backward(Tensor outputGradient)
    {
        var source = Inputs[0];
        Layer.ComputeInputGradient = source.RequiresGradient;
        var inputGradient = Layer.Backward(outputGradient);
        if (source.RequiresGradient)
        {
            source.Receive(inputGradient);
        }
    }
}
