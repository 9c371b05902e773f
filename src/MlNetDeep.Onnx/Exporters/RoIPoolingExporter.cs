using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// MaxRoiPool (same bins as torchvision's roi_pool and the layer: rounded scaled corners, floor/ceil bin edges, empty
/// bin 0). The regions are data of each call, so they become a second graph input, named "rois" (or a unique name
/// derived from it), [R, 5] of (image, x1, y1, x2, y2) with a symbolic R. When regions were set on the layer they are
/// also that input's initializer, a default that a caller overrides by feeding "rois" (ONNX IR ≥ 4).
/// </summary>
internal sealed class RoIPoolingExporter : ILayerExporter
{
    public string TypeKey => "RoIPooling";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var roi = (RoIPooling)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var rois = graph.Unique("rois");
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "R" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 5 });
        graph.Graph.Input.Add(new ValueInfoProto
        {
            Name = rois,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        });
        if (roi.Regions is { } regions)
        {
            var tensor = new TensorProto { Name = rois, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.Add([regions.Rows, 5]);
            tensor.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(regions.Span));
            graph.Graph.Initializer.Add(tensor);
        }

        return graph.Node(
            "MaxRoiPool",
            hint,
            [input, rois],
            OnnxAttributes.Ints("pooled_shape", roi.OutputHeight, roi.OutputWidth),
            OnnxAttributes.Float("spatial_scale", roi.SpatialScale));
    }
}
