using Google.Protobuf;
using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;
using MlNetDeep.Serialization;

namespace MlNetDeep.Onnx;

/// <summary>
/// Exports a built network to ONNX (opset <see cref="OpsetVersion"/>) in its inference form: dropout is left out, batch
/// normalisation uses its running statistics, every other layer is written with standard operators so that any ONNX
/// runtime computes what <c>Forward(x, training: false)</c> computes. The input and output are named (see
/// <see cref="OnnxExportOptions"/>) and the batch dimension is symbolic. Every layer type of
/// <see cref="LayerRegistry"/> exports; a custom layer type without an exporter is a <see cref="NotSupportedException"/> naming it.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graphs use.</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version written (IR 8 goes with opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The model as ONNX protobuf bytes.</summary>
    /// <param name="network">A built network.</param>
    /// <param name="options">Names and head; the defaults when null.</param>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    /// <exception cref="NotSupportedException">A layer has no ONNX exporter.</exception>
    public static byte[] ToBytes(Layer network, OnnxExportOptions? options = null) => CreateModel(network, options ?? new()).ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/>, atomically (a complete file or none).</summary>
    /// <param name="network">A built network.</param>
    /// <param name="path">The file to write, conventionally <c>*.onnx</c>.</param>
    /// <param name="options">Names and head; the defaults when null.</param>
    public static void Save(Layer network, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = CreateModel(network, options ?? new());
        AtomicFile.Write(path, model.WriteTo);
    }

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    /// <param name="network">A built network.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">Names and head; the defaults when null.</param>
    public static void Save(Layer network, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CreateModel(network, options ?? new()).WriteTo(stream);
    }

    /// <summary>Builds the model; <paramref name="outputs"/>, when given, replaces the single output: it adds nodes after the
    /// network's (head-applied) output value and returns the graph outputs to declare.</summary>
    internal static ModelProto CreateModel(Layer network, OnnxExportOptions options, Func<OnnxGraphBuilder, string, IReadOnlyList<OnnxValue>>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' must be built (trained, loaded or built for its input shape) before it is exported to ONNX.");
        }

        var graph = new OnnxGraphBuilder();
        graph.Graph.Name = network.Name;
        var inputShape = network.InputShape.ToArray();
        var input = graph.Reserve(options.InputName);
        var value = input;
        if (options.FlatInput && inputShape.Length > 1)
        {
            long[] shape = [0, .. inputShape.Select(d => (long)d)];
            value = graph.Node("Reshape", "input", [input, graph.Int64s("input.shape", shape)]);
        }

        value = graph.Export(network, value);
        value = options.Head switch
        {
            OnnxOutputHead.Softmax => SoftmaxHead(graph, network, value),
            OnnxOutputHead.Sigmoid => graph.Node("Sigmoid", "head", [value]),
            _ => value,
        };

        IReadOnlyList<OnnxValue> declared;
        if (outputs is null)
        {
            graph.Reserve(options.OutputName);
            graph.Rename(value, options.OutputName);
            declared = [OnnxValue.Float(options.OutputName, network.OutputShape.ToArray())];
        }
        else
        {
            declared = outputs(graph, value);
        }

        var declaredInput = options.FlatInput ? [Tensor.ProductOf(inputShape)] : inputShape;
        return Package(graph, [OnnxValue.Float(input, declaredInput)], declared, options.BatchDimensionName);
    }

    /// <summary>Wraps a finished graph into a model of opset <see cref="OpsetVersion"/>, declaring its inputs and outputs
    /// (with a symbolic batch dimension named <paramref name="batchName"/>, or per sample when null).</summary>
    internal static ModelProto Package(OnnxGraphBuilder graph, IEnumerable<OnnxValue> inputs, IEnumerable<OnnxValue> outputs, string? batchName)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MlNetDeep",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? string.Empty,
            Graph = graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
        foreach (var input in inputs)
        {
            graph.Graph.Input.Add(input.ToValueInfo(batchName));
        }

        foreach (var output in outputs)
        {
            graph.Graph.Output.Add(output.ToValueInfo(batchName));
        }

        return model;
    }

    private static string SoftmaxHead(OnnxGraphBuilder graph, Layer network, string value)
    {
        if (network.OutputShape.Length == 1)
        {
            return graph.Node("Softmax", "head", [value], OnnxAttributes.Int("axis", 1));
        }

        var flat = graph.Node("Flatten", "head", [value], OnnxAttributes.Int("axis", 1));
        var softmax = graph.Node("Softmax", "head", [flat], OnnxAttributes.Int("axis", 1));
        long[] shape = [0, .. network.OutputShape.ToArray().Select(d => (long)d)];
        return graph.Node("Reshape", "head", [softmax, graph.Int64s("head.shape", shape)]);
    }
}
