using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// Conv with the layer's kernel, strides, dilations and groups, and its padding as resolved for the input size
/// (TensorFlow's "same" is asymmetric: the odd row or column goes below/right, which ONNX's explicit pads express).
/// Weights keep their [Cout, Cin/groups, kh, kw] layout.
/// </summary>
internal sealed class Conv2DExporter : ILayerExporter
{
    public string TypeKey => "Conv2D";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var conv = (Conv2D)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var p = conv.ResolvedPadding;
        return ConvolutionNodes.Add(
            graph, "Conv", hint, input, conv, [p.Top, p.Left, p.Bottom, p.Right],
            OnnxAttributes.Ints("strides", conv.Stride.Height, conv.Stride.Width));
    }
}
