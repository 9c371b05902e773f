using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>Inverted dropout is the identity at inference: the layer is left out.</summary>
internal sealed class DropoutExporter : ILayerExporter
{
    public string TypeKey => "Dropout";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) => input;
}
