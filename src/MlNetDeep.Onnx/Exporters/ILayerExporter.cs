using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// Writes one layer type as ONNX nodes (inference form). Each layer type of <see cref="Serialization.LayerRegistry"/> has
/// one exporter, listed in <see cref="LayerExporters"/> under the type key of the layer's <see cref="Layer.Describe"/>.
/// </summary>
internal interface ILayerExporter
{
    /// <summary>The type key the exporter handles (the key of <see cref="Serialization.LayerDescription.TypeKey"/>).</summary>
    string TypeKey { get; }

    /// <summary>Adds the nodes computing <paramref name="layer"/> on the value <paramref name="input"/>, of shape
    /// [N, ..layer.InputShape]; returns the name of the value holding the layer's output, of shape [N, ..layer.OutputShape].</summary>
    string Export(Layer layer, string input, OnnxGraphBuilder graph);
}
