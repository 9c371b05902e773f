using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// Resize (opset 11+) in linear mode with half-pixel coordinates and scales (1, 1, f, f): the layer's own sampling
/// rule, edge values repeated at the border.
/// </summary>
internal sealed class BilinearUpsamplingExporter : ILayerExporter
{
    public string TypeKey => "BilinearUpsampling";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var factor = ((BilinearUpsampling)layer).Factor;
        var scales = graph.Initializer(OnnxGraphBuilder.Hint(layer) + "_scales", [1f, 1f, factor, factor], 4);
        return graph.Node(
            "Resize",
            OnnxGraphBuilder.Hint(layer),
            [input, string.Empty, scales],
            OnnxAttributes.String("mode", "linear"),
            OnnxAttributes.String("coordinate_transformation_mode", "half_pixel"));
    }
}
