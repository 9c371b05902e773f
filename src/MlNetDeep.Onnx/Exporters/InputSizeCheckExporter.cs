using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>The size check happens when the network is built; at inference the layer is the identity and is left out.</summary>
internal sealed class InputSizeCheckExporter : ILayerExporter
{
    public string TypeKey => "InputSizeCheck";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) => input;
}
