using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>The projection as Dense's Gemm; the L2 normalisation as z / Max(ReduceL2(z), 1e-12), the layer's floor.</summary>
internal sealed class EmbeddingHeadExporter : ILayerExporter
{
    public string TypeKey => "EmbeddingHead";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var head = (EmbeddingHead)layer;
        var z = graph.Export(head.Projection, input);
        if (!head.Normalize)
        {
            return z;
        }

        var hint = OnnxGraphBuilder.Hint(layer);
        var norm = graph.Node("ReduceL2", hint + ".norm", [z], OnnxAttributes.Ints("axes", 1), OnnxAttributes.Int("keepdims", 1));
        var floored = graph.Node("Max", hint + ".floor", [norm, graph.Scalar(hint + ".eps", 1e-12f)]);
        return graph.Node("Div", hint, [z, floored]);
    }
}
