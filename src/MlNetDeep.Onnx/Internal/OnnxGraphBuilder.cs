using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using MlNetDeep.Layers;
using MlNetDeep.Onnx.Exporters;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Internal;

/// <summary>
/// Collects the nodes and initializers of one ONNX graph while the layer exporters walk a network: unique value and node
/// names, float and int64 initializers, and dispatch of a layer to its exporter.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>A name not used yet in the graph, derived from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        var text = string.IsNullOrWhiteSpace(hint) ? "value" : hint;
        if (_names.Add(text))
        {
            return text;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{text}_{i}";
            if (_names.Add(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>Reserves a name given by the caller (the graph's input and output), which must be free.</summary>
    public string Reserve(string name)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"The ONNX value name '{name}' is used twice.", nameof(name));
        }

        return name;
    }

    /// <summary>Adds a float initializer holding <paramref name="values"/> with shape <paramref name="dims"/>; returns its name.</summary>
    public string Initializer(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        CheckLength(values.Length, dims, hint);
        var tensor = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer (shapes, axes); returns its name.</summary>
    public string Int64Initializer(string hint, ReadOnlySpan<long> values, params long[] dims)
    {
        CheckLength(values.Length, dims, hint);
        var tensor = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a 1-D initializer of another element type (strings, key values) built by the caller; returns its name.</summary>
    public string TypedInitializer(string hint, TensorProto tensor)
    {
        tensor.Name = Unique(hint);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A 1-D int64 initializer, such as the target shape of a Reshape.</summary>
    public string Int64s(string hint, params long[] values) => Int64Initializer(hint, values, values.Length);

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string hint, float value) => Initializer(hint, [value]);

    /// <summary>Adds a node with one output named after <paramref name="hint"/>; returns the output's name.</summary>
    public string Node(string opType, string hint, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        NodeWithOutputs(opType, hint, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] NodeWithOutputs(string opType, string hint, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique($"{hint}/{opType}") };
        node.Input.Add(inputs);
        var names = new string[outputs];
        for (var i = 0; i < outputs; i++)
        {
            names[i] = Unique(outputs == 1 ? $"{hint}/{opType}_output" : $"{hint}/{opType}_output_{i}");
        }

        node.Output.Add(names);
        node.Attribute.Add(attributes);
        Graph.Node.Add(node);
        return names;
    }

    /// <summary>Renames the value <paramref name="from"/> (the output of the last node that wrote it) to <paramref name="to"/>,
    /// or adds an Identity when <paramref name="from"/> is not a node's output (the network is the identity).</summary>
    public void Rename(string from, string to)
    {
        for (var n = Graph.Node.Count - 1; n >= 0; n--)
        {
            var outputs = Graph.Node[n].Output;
            for (var i = 0; i < outputs.Count; i++)
            {
                if (outputs[i] == from)
                {
                    outputs[i] = to;
                    foreach (var node in Graph.Node.Skip(n + 1))
                    {
                        for (var j = 0; j < node.Input.Count; j++)
                        {
                            if (node.Input[j] == from)
                            {
                                node.Input[j] = to;
                            }
                        }
                    }

                    return;
                }
            }
        }

        var identity = new NodeProto { OpType = "Identity", Name = Unique("output/Identity") };
        identity.Input.Add(from);
        identity.Output.Add(to);
        Graph.Node.Add(identity);
    }

    /// <summary>Exports <paramref name="layer"/> applied to the value <paramref name="input"/>; returns its output value.</summary>
    public string Export(Layer layer, string input) => LayerExporters.For(layer).Export(layer, input, this);

    /// <summary>A name hint for a layer's values: its name, without characters that tools choke on.</summary>
    public static string Hint(Layer layer)
    {
        var text = new StringBuilder(layer.Name.Length);
        foreach (var c in layer.Name)
        {
            text.Append(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/' ? c : '_');
        }

        return text.Length == 0 ? "layer" : text.ToString();
    }

    /// <summary>[N, ..shape] with N symbolic; the per-channel broadcast shape [C, 1, …, 1] of a per-sample shape.</summary>
    public static long[] ChannelShape(ReadOnlySpan<int> perSample)
    {
        var dims = new long[perSample.Length];
        dims.AsSpan().Fill(1);
        dims[0] = perSample[0];
        return dims;
    }

    private static void CheckLength(int length, long[] dims, string hint)
    {
        var product = dims.Aggregate(1L, (p, d) => p * d);
        if (product != length)
        {
            throw new InvalidOperationException($"Initializer '{hint}' holds {length} values but its shape [{string.Join(", ", dims)}] needs {product}.");
        }
    }
}
