using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>The inference form: BatchNormalization with γ, β and the running mean and variance, on [N, C, H, W] or [N, F].</summary>
internal sealed class BatchNormalizationExporter : ILayerExporter
{
    public string TypeKey => "BatchNormalization";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var bn = (BatchNormalization)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var c = bn.Gamma.Value.Length;
        return graph.Node(
            "BatchNormalization", hint,
            [
                input,
                graph.Initializer(hint + ".gamma", bn.Gamma.Value.Span, c),
                graph.Initializer(hint + ".beta", bn.Beta.Value.Span, c),
                graph.Initializer(hint + ".running_mean", bn.RunningMean.Span, c),
                graph.Initializer(hint + ".running_var", bn.RunningVariance.Span, c),
            ],
            OnnxAttributes.Float("epsilon", bn.Epsilon));
    }
}
