using Google.Protobuf;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Tests.Onnx;

/// <summary>Small ONNX models written node by node, for importing operators and attributes our exporter does not write.</summary>
internal static class HandMadeModels
{
    /// <summary>A model with input <c>x</c> of per-sample shape <paramref name="inputShape"/> and output <c>y</c>.</summary>
    public static byte[] Create(int[] inputShape, int[] outputShape, Func<OnnxGraphBuilder, string, string> body, int opset = 17)
    {
        var graph = new OnnxGraphBuilder();
        graph.Graph.Name = "handmade";
        var x = graph.Reserve("x");
        var y = body(graph, x);
        graph.Reserve("y");
        graph.Rename(y, "y");
        graph.Graph.Input.Add(OnnxValue.Float("x", inputShape).ToValueInfo("N"));
        graph.Graph.Output.Add(OnnxValue.Float("y", outputShape).ToValueInfo("N"));
        var model = new ModelProto { IrVersion = 8, Graph = graph.Graph, ProducerName = "tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return model.ToByteArray();
    }

    /// <summary>Values 0.1·sin(i + seed): deterministic, varied, small.</summary>
    public static float[] Values(int count, int seed) => [.. Enumerable.Range(0, count).Select(i => 0.1f * MathF.Sin(i + (seed * 7.3f)))];
}
