using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Onnx.Protobuf;
using MlNetDeep.Tensors;

namespace MlNetDeep.Onnx.Internal;

/// <summary>
/// Turns the main graph of an ONNX model into MlNetDeep layers: each supported operator becomes a layer node (or a sum or
/// concatenation), weights come from the initializers, and the layers are built as the graph goes so that every shape is
/// checked where it arises. Errors are <see cref="InvalidDataException"/>s naming the node and its operator; the caller adds
/// the file's name.
/// </summary>
internal sealed class OnnxGraphImporter
{
    private const string InputNodeName = "input";

    /// <summary>The largest per-sample input imported (values): a declared shape beyond it is a damaged or hostile file.</summary>
    private const long MaxInputValues = 1L << 28;

    private readonly ModelProto _model;
    private readonly GraphProto _graph;
    private readonly OnnxImportOptions _options;
    private readonly long _opset;
    private readonly RandomSource _random;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImportedConstant> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _entryNames = new(StringComparer.Ordinal) { InputNodeName };
    private readonly List<Entry> _entries = [];
    private readonly List<Action> _assignments = [];
    private readonly Dictionary<string, Func<Parameter>> _parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<Tensor>> _buffers = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, (NodeProto Add, string Bias)> _fusedBias = [];
    private readonly HashSet<NodeProto> _fusedAdds = [];
    private NodeProto _node = new();
    private string _where = string.Empty;

    public OnnxGraphImporter(ModelProto model, OnnxImportOptions options)
    {
        _model = model;
        _graph = model.Graph ?? throw new InvalidDataException("the model has no graph.");
        _options = options;
        _random = new RandomSource(options.Seed);
        var opsets = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToArray();
        if (opsets.Length != 1)
        {
            throw new InvalidDataException($"the model imports the standard ONNX operator set {opsets.Length} times; expected once.");
        }

        _opset = opsets[0].Version;
        if (_opset is < 11 or > 23)
        {
            throw new InvalidDataException($"the model uses ONNX operator set {_opset}; MlNetDeep imports operator sets 11 to 23.");
        }
    }

    public OnnxImportResult Import()
    {
        foreach (var tensor in _graph.Initializer)
        {
            if (string.IsNullOrEmpty(tensor.Name) || !_initializers.TryAdd(tensor.Name, tensor))
            {
                throw new InvalidDataException($"the graph has an initializer with an empty or repeated name ('{tensor.Name}').");
            }
        }

        var input = GraphInput();
        _values[input.Name] = new Value(InputNodeName, input.Shape, null);
        CountConsumers();
        FindBiasFusions();
        for (var i = 0; i < _graph.Node.Count; i++)
        {
            _node = _graph.Node[i];
            _where = $"node '{(string.IsNullOrEmpty(_node.Name) ? $"#{i}" : _node.Name)}' ({_node.OpType})";
            try
            {
                ImportNode();
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{_where}: {e.Message}", e);
            }
        }

        if (_graph.Output.Count != 1)
        {
            throw new InvalidDataException($"the graph has {_graph.Output.Count} outputs; MlNetDeep imports graphs with one output.");
        }

        var outputName = _graph.Output[0].Name;
        if (!_values.TryGetValue(outputName, out var output) || output.Node == InputNodeName)
        {
            throw new InvalidDataException($"the graph's output '{outputName}' is not computed by any imported node from the input.");
        }

        var network = Assemble(output.Node);
        network.Build(input.Shape, _random);
        foreach (var assign in _assignments)
        {
            assign();
        }

        return new OnnxImportResult(
            network,
            input.Name,
            outputName,
            _parameters.ToDictionary(p => p.Key, p => p.Value(), StringComparer.Ordinal),
            _buffers.ToDictionary(p => p.Key, p => p.Value(), StringComparer.Ordinal));
    }

    private (string Name, int[] Shape) GraphInput()
    {
        var inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
        {
            throw new InvalidDataException(
                $"the graph has {inputs.Length} inputs besides its initializers ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); MlNetDeep imports graphs with one input.");
        }

        var input = inputs[0];
        var tensor = input.Type?.TensorType ?? throw new InvalidDataException($"the graph input '{input.Name}' is not a tensor.");
        if (tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"the graph input '{input.Name}' has element type {(TensorProto.Types.DataType)tensor.ElemType}; MlNetDeep imports float inputs.");
        }

        int[] shape;
        if (_options.InputShape is { } given)
        {
            shape = [.. given];
        }
        else
        {
            var dims = tensor.Shape?.Dim ?? throw new InvalidDataException($"the graph input '{input.Name}' has no shape; give OnnxImportOptions.InputShape.");
            if (dims.Count < 2)
            {
                throw new InvalidDataException($"the graph input '{input.Name}' has rank {dims.Count}; expected a batch dimension and at least one more.");
            }

            shape = new int[dims.Count - 1];
            for (var d = 1; d < dims.Count; d++)
            {
                var dim = dims[d];
                if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dim.DimValue <= 0 || dim.DimValue > MaxInputValues)
                {
                    throw new InvalidDataException(
                        $"dimension {d} of the graph input '{input.Name}' is {(dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? $"symbolic ('{dim.DimParam}')" : dim.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture))}; "
                        + "give the per-sample shape with OnnxImportOptions.InputShape.");
                }

                shape[d - 1] = (int)dim.DimValue;
            }
        }

        var values = shape.Aggregate(1L, (p, d) => d <= 0 ? -1 : Math.Min(p * d, MaxInputValues + 1));
        if (shape.Length == 0 || values <= 0 || values > MaxInputValues)
        {
            throw new InvalidDataException($"the input shape [{string.Join(", ", shape)}] is empty, not positive or larger than {MaxInputValues} values per sample.");
        }

        return (input.Name, shape);
    }

    private void CountConsumers()
    {
        foreach (var node in _graph.Node)
        {
            foreach (var name in node.Input.Where(n => n.Length > 0))
            {
                _consumers[name] = _consumers.GetValueOrDefault(name) + 1;
            }
        }

        foreach (var output in _graph.Output)
        {
            _consumers[output.Name] = _consumers.GetValueOrDefault(output.Name) + 1;
        }
    }

    /// <summary>MatMul(x, W) followed only by Add(·, b) with a constant b is one dense layer with a bias.</summary>
    private void FindBiasFusions()
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in _graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers.TryAdd(output, node);
            }
        }

        foreach (var add in _graph.Node.Where(n => n.OpType == "Add" && n.Input.Count == 2 && IsStandard(n)))
        {
            for (var side = 0; side < 2; side++)
            {
                var (value, bias) = (add.Input[side], add.Input[1 - side]);
                if (producers.TryGetValue(value, out var matmul) && matmul.OpType == "MatMul" && IsStandard(matmul) && matmul.Input.Count == 2
                    && _initializers.ContainsKey(matmul.Input[1]) && _initializers.ContainsKey(bias) && _consumers.GetValueOrDefault(value) == 1
                    && !_fusedBias.ContainsKey(matmul))
                {
                    _fusedBias[matmul] = (add, bias);
                    _fusedAdds.Add(add);
                    break;
                }
            }
        }
    }

    private static bool IsStandard(NodeProto node) => node.Domain is "" or "ai.onnx";

    private void ImportNode()
    {
        if (!IsStandard(_node))
        {
            throw Unsupported($"of the operator set '{_node.Domain}'");
        }

        var a = new NodeAttributes(_node, _where);
        switch (_node.OpType)
        {
            case "Constant":
                ImportConstant(a);
                break;
            case "Identity":
                Alias(Input(0));
                break;
            case "Conv":
                ImportConv(a, transposed: false);
                break;
            case "ConvTranspose":
                ImportConv(a, transposed: true);
                break;
            case "Gemm":
                ImportGemm(a);
                break;
            case "MatMul":
                ImportMatMul();
                break;
            case "Add" when _fusedAdds.Contains(_node):
                // The bias of the MatMul before it: the dense layer already adds it.
                Alias(_values[_node.Input.First(n => _values.ContainsKey(n))]);
                break;
            case "Add":
            case "Sum":
                Merge(EntryKind.Sum);
                break;
            case "Concat":
                ImportConcat(a);
                break;
            case "BatchNormalization":
                ImportBatchNormalization(a);
                break;
            case "Relu":
                Layer(new ReLU(), Input(0));
                break;
            case "LeakyRelu":
                Layer(new LeakyReLU(a.Float("alpha", 0.01f)), Input(0));
                break;
            case "Sigmoid":
                Layer(new Sigmoid(), Input(0));
                break;
            case "Tanh":
                Layer(new Tanh(), Input(0));
                break;
            case "Elu":
                Layer(new ELU(a.Float("alpha", 1f)), Input(0));
                break;
            case "Selu":
                ImportSelu(a);
                break;
            case "PRelu":
                ImportPRelu();
                break;
            case "MaxPool":
            case "AveragePool":
                ImportPool(a);
                break;
            case "GlobalAveragePool":
                ImportGlobalAveragePool();
                break;
            case "LRN":
                ImportLrn(a);
                break;
            case "Flatten":
                ImportFlatten(a);
                break;
            case "Reshape":
                ImportReshape();
                break;
            case "Dropout":
                ImportDropout(a);
                break;
            case "Softmax":
                ImportSoftmax(a);
                break;
            case "Resize":
            case "Upsample":
                ImportResize(a);
                break;
            default:
                throw Unsupported("that MlNetDeep has no layer for");
        }
    }

    private InvalidDataException Unsupported(string why) =>
        new($"{_where} uses the operator '{_node.OpType}' {why}; MlNetDeep imports Conv, ConvTranspose, Gemm, MatMul (+ Add), BatchNormalization, "
            + "Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu, PRelu, MaxPool, AveragePool, GlobalAveragePool, LRN, Add, Sum, Concat, Flatten, Reshape "
            + "(to [N, features]), Dropout, Softmax, Resize (nearest, integer scale), Identity and Constant.");

    private Value Input(int index)
    {
        if (index >= _node.Input.Count || _node.Input[index].Length == 0)
        {
            throw new InvalidDataException($"{_where} has no input {index}.");
        }

        var name = _node.Input[index];
        return _values.TryGetValue(name, out var value)
            ? value
            : _initializers.ContainsKey(name) || _constants.ContainsKey(name)
                ? throw new InvalidDataException($"{_where} takes the constant '{name}' as input {index}, where MlNetDeep needs the output of a layer.")
                : throw new InvalidDataException($"{_where} reads '{name}', which no earlier node computes (the nodes must be in topological order).");
    }

    private ImportedConstant? Constant(int index, bool required = true)
    {
        if (index >= _node.Input.Count || _node.Input[index].Length == 0)
        {
            return required ? throw new InvalidDataException($"{_where} has no input {index}.") : null;
        }

        var name = _node.Input[index];
        if (_constants.TryGetValue(name, out var known))
        {
            return known;
        }

        if (!_initializers.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"{_where} takes '{name}' as input {index}, which must be a constant (an initializer); it is computed by the graph.");
        }

        var constant = OnnxConstants.Decode(tensor, $"{_where}: the initializer '{name}'");
        _constants[name] = constant;
        return constant;
    }

    private static float[] Floats(ImportedConstant c, string what) =>
        c.Floats ?? throw new InvalidDataException($"{what} '{c.Name}' holds integers; expected floats.");

    private static long[] Integers(ImportedConstant c, string what) =>
        c.Integers ?? throw new InvalidDataException($"{what} '{c.Name}' holds floats; expected integers.");

    private void ImportConstant(NodeAttributes a)
    {
        var tensor = a.Tensor("value") ?? throw Unsupported("without a tensor 'value' attribute");
        var constant = OnnxConstants.Decode(tensor, $"{_where}: the value");
        foreach (var output in _node.Output)
        {
            _constants[output] = new ImportedConstant(output, constant.Dims, constant.Floats, constant.Integers);
        }
    }

    private void Alias(Value value)
    {
        if (_node.Output.Count == 0)
        {
            throw new InvalidDataException($"{_where} has no output.");
        }

        Define(_node.Output[0], value);
    }

    private void Define(string name, Value value)
    {
        if (name.Length == 0 || _values.ContainsKey(name) || _initializers.ContainsKey(name) || _constants.ContainsKey(name))
        {
            throw new InvalidDataException($"{_where} writes '{name}', which is empty or already defined.");
        }

        _values[name] = value;
    }

    /// <summary>Adds a layer node reading <paramref name="input"/>, building the layer to check and learn its output shape.</summary>
    private Layer Layer(Layer layer, Value input, Action<Layer>? assign = null)
    {
        RequireOutputs(1);
        var name = EntryName();
        layer.Name = name;
        var shape = layer.Build(input.Shape, _random);
        _entries.Add(new Entry(name, EntryKind.Layer, [input.Node], layer, shape));
        if (assign is not null)
        {
            _assignments.Add(() => assign(layer));
        }

        Define(_node.Output[0], new Value(name, shape, layer));
        return layer;
    }

    /// <summary>Nodes with optional extra outputs (Dropout's mask, BatchNormalization's statistics) may have them only when nothing reads them.</summary>
    private void RequireOutputs(int used)
    {
        for (var i = used; i < _node.Output.Count; i++)
        {
            if (_node.Output[i].Length > 0 && _consumers.GetValueOrDefault(_node.Output[i]) > 0)
            {
                throw new InvalidDataException($"{_where}: its output {i} ('{_node.Output[i]}') is used, which MlNetDeep cannot compute (only the first output is imported).");
            }
        }
    }

    private string EntryName()
    {
        var stem = string.IsNullOrEmpty(_node.Name) ? _node.OpType : _node.Name.Trim('/').Replace('.', '_');
        stem = stem.Length == 0 ? _node.OpType : stem;
        var name = stem;
        for (var k = 1; !_entryNames.Add(name); k++)
        {
            name = $"{stem}_{k}";
        }

        return name;
    }

    private void Merge(string kind)
    {
        var inputs = Enumerable.Range(0, _node.Input.Count).Select(Input).ToArray();
        if (inputs.Length == 0)
        {
            throw new InvalidDataException($"{_where} has no inputs.");
        }

        foreach (var other in inputs.Skip(1))
        {
            if (kind == EntryKind.Sum && !other.Shape.SequenceEqual(inputs[0].Shape))
            {
                throw new InvalidDataException(
                    $"{_where} adds values of shapes {Tensor.Format(inputs[0].Shape)} and {Tensor.Format(other.Shape)}; MlNetDeep adds only equal shapes (no broadcasting).");
            }
        }

        RequireOutputs(1);
        int[] shape = kind == EntryKind.Sum ? inputs[0].Shape : ConcatShape(inputs);
        var name = EntryName();
        _entries.Add(new Entry(name, kind, [.. inputs.Select(i => i.Node)], null, shape));
        Define(_node.Output[0], new Value(name, shape, null));
    }

    private int[] ConcatShape(Value[] inputs)
    {
        var first = inputs[0].Shape;
        foreach (var other in inputs.Skip(1))
        {
            if (other.Shape.Length != first.Length || !other.Shape.AsSpan(1).SequenceEqual(first.AsSpan(1)))
            {
                throw new InvalidDataException($"{_where} joins {Tensor.Format(first)} and {Tensor.Format(other.Shape)}, which differ beyond the channel axis.");
            }
        }

        return [inputs.Sum(i => i.Shape[0]), .. first[1..]];
    }

    private void ImportConcat(NodeAttributes a)
    {
        var rank = Input(0).Shape.Length + 1;
        var axis = a.Int("axis", 1);
        if (axis != 1 && axis != 1 - rank)
        {
            throw Unsupported($"on axis {axis}: MlNetDeep concatenates on the channel axis (1)");
        }

        Merge(EntryKind.Concat);
    }

    private void ImportConv(NodeAttributes a, bool transposed)
    {
        var x = Input(0);
        var w = Constant(1)!;
        var weights = Floats(w, "the weight");
        var bias = Constant(2, required: false);
        if (w.Dims.Length != 4 || x.Shape.Length != 3)
        {
            throw Unsupported($"with weights {w.Shape} on input [N, {string.Join(", ", x.Shape)}]: MlNetDeep imports 2-D convolutions of [N, C, H, W]");
        }

        var groups = a.Int("group", 1);
        var kernel = a.Ints("kernel_shape") ?? [w.Dims[2], w.Dims[3]];
        var strides = a.Ints("strides") ?? [1, 1];
        var dilations = a.Ints("dilations") ?? [1, 1];
        if (kernel.Length != 2 || kernel[0] != w.Dims[2] || kernel[1] != w.Dims[3] || strides.Length != 2 || dilations.Length != 2 || groups <= 0 || groups > int.MaxValue)
        {
            throw new InvalidDataException($"{_where} has kernel_shape [{string.Join(", ", kernel)}], strides, dilations or group that do not fit its weights {w.Shape}.");
        }

        var filters = transposed ? w.Dims[1] * groups : w.Dims[0];
        var inChannels = transposed ? w.Dims[0] : w.Dims[1] * groups;
        if (inChannels != x.Shape[0] || filters > int.MaxValue)
        {
            throw new InvalidDataException($"{_where}: the weights {w.Shape} with group {groups} take {inChannels} channels; the input has {x.Shape[0]}.");
        }

        var padding = ConvPadding(a, x.Shape, kernel, strides, dilations, transposed);
        var k = ((int)kernel[0], (int)kernel[1]);
        var s = (Checked(strides[0]), Checked(strides[1]));
        var d = (Checked(dilations[0]), Checked(dilations[1]));
        float[]? b = null;
        if (bias is not null)
        {
            b = Floats(bias, "the bias");
            if (bias.Count != filters)
            {
                throw new InvalidDataException($"{_where}: the bias '{bias.Name}' holds {bias.Count} values for {filters} filters.");
            }
        }

        ConvolutionLayer layer;
        if (transposed)
        {
            if (a.Has("output_shape"))
            {
                throw Unsupported("with an output_shape attribute: give pads and output_padding instead");
            }

            var extra = a.Ints("output_padding") ?? [0, 0];
            if (extra.Length != 2)
            {
                throw new InvalidDataException($"{_where} has output_padding [{string.Join(", ", extra)}]; expected two values.");
            }

            layer = new ConvTranspose2D((int)filters, k, s, padding, (Checked(extra[0], allowZero: true), Checked(extra[1], allowZero: true)), d, (int)groups, b is not null);
        }
        else
        {
            layer = new Conv2D((int)filters, k, s, padding, d, (int)groups, b is not null);
        }

        Layer(layer, x, l =>
        {
            var conv = (ConvolutionLayer)l;
            Copy(weights, conv.Weight.Value, w.Name);
            if (b is not null)
            {
                Copy(b, conv.Bias!.Value, bias!.Name);
            }
        });
        _parameters[w.Name] = () => layer.Weight;
        if (bias is not null)
        {
            _parameters[bias.Name] = () => layer.Bias!;
        }
    }

    private Padding ConvPadding(NodeAttributes a, int[] input, long[] kernel, long[] strides, long[] dilations, bool transposed)
    {
        var autoPad = a.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                var pads = a.Ints("pads") ?? [0, 0, 0, 0];
                if (pads.Length != 4 || pads.Any(p => p < 0 || p > int.MaxValue))
                {
                    throw new InvalidDataException($"{_where} has pads [{string.Join(", ", pads)}]; expected four non-negative values.");
                }

                return Padding.Explicit((int)pads[0], (int)pads[2], (int)pads[1], (int)pads[3]);
            case "VALID":
                return Padding.Valid;
            case "SAME_UPPER" when !transposed:
                // TensorFlow's rule, which Padding.Same implements: the odd row or column goes below/right.
                return Padding.Same;
            case "SAME_LOWER" when !transposed:
                var (top, bottom) = SameLower(input[1], kernel[0], strides[0], dilations[0]);
                var (left, right) = SameLower(input[2], kernel[1], strides[1], dilations[1]);
                return Padding.Explicit(top, bottom, left, right);
            default:
                throw Unsupported($"with auto_pad '{autoPad}'");
        }
    }

    private static (int Before, int After) SameLower(int n, long f, long s, long d)
    {
        var output = (n + s - 1) / s;
        var total = (int)Math.Max(((output - 1) * s) + (d * (f - 1)) + 1 - n, 0);
        return (total - (total / 2), total / 2);
    }

    private int Checked(long value, bool allowZero = false) =>
        (allowZero ? value >= 0 : value > 0) && value <= int.MaxValue
            ? (int)value
            : throw new InvalidDataException($"{_where} has the value {value} where a {(allowZero ? "non-negative" : "positive")} size is needed.");

    private static void Copy(float[] source, Tensor destination, string name)
    {
        if (source.Length != destination.Length)
        {
            throw new InvalidDataException($"the initializer '{name}' holds {source.Length} values; the layer needs {destination.Length}.");
        }

        source.CopyTo(destination.Span);
    }

    private void ImportGemm(NodeAttributes a)
    {
        var x = Input(0);
        var w = Constant(1)!;
        var c = Constant(2, required: false);
        a.RequireDefault("transA", 0);
        var transB = a.Int("transB", 0) != 0;
        var alpha = a.Float("alpha", 1f);
        var beta = a.Float("beta", 1f);
        if (x.Shape.Length != 1)
        {
            throw new InvalidDataException($"{_where} multiplies an input of shape [N, {string.Join(", ", x.Shape)}]; Gemm takes [N, features] (flatten first).");
        }

        Dense(x, w, transB, alpha, c, beta);
    }

    private void ImportMatMul()
    {
        var x = Input(0);
        var w = Constant(1)!;
        if (x.Shape.Length != 1)
        {
            throw Unsupported($"on an input of shape [N, {string.Join(", ", x.Shape)}]: MlNetDeep imports MatMul of [N, features] by a constant matrix");
        }

        ImportedConstant? bias = null;
        if (_fusedBias.TryGetValue(_node, out var fused))
        {
            bias = _constants.TryGetValue(fused.Bias, out var known) ? known : OnnxConstants.Decode(_initializers[fused.Bias], $"{_where}: the bias '{fused.Bias}'");
        }

        Dense(x, w, transposed: false, 1f, bias, 1f);
    }

    /// <summary>A dense layer from a [in, out] (or, transposed, [out, in]) constant and an optional bias broadcastable to [out].</summary>
    private void Dense(Value x, ImportedConstant w, bool transposed, float alpha, ImportedConstant? bias, float beta)
    {
        var values = Floats(w, "the weight");
        if (w.Dims.Length != 2)
        {
            throw new InvalidDataException($"{_where}: the weight '{w.Name}' has shape {w.Shape}; expected a matrix.");
        }

        var (outputs, inputs) = transposed ? (w.Dims[0], w.Dims[1]) : (w.Dims[1], w.Dims[0]);
        if (inputs != x.Shape[0] || outputs <= 0 || outputs > int.MaxValue)
        {
            throw new InvalidDataException($"{_where}: the weight '{w.Name}' {w.Shape} takes {inputs} features; the input has {x.Shape[0]}.");
        }

        var weight = transposed ? values : Transpose(values, (int)inputs, (int)outputs);
        if (alpha != 1f)
        {
            weight = [.. weight.Select(v => v * alpha)];
        }

        float[]? b = null;
        if (bias is not null)
        {
            var raw = Floats(bias, "the bias");
            if (!(raw.Length == outputs || raw.Length == 1) || bias.Dims.Length > 2 || (bias.Dims.Length == 2 && bias.Dims[0] != 1))
            {
                throw new InvalidDataException($"{_where}: the bias '{bias.Name}' has shape {bias.Shape}; expected [{outputs}], [1, {outputs}] or one value.");
            }

            b = raw.Length == outputs ? [.. raw.Select(v => v * beta)] : [.. Enumerable.Repeat(raw[0] * beta, (int)outputs)];
        }

        var dense = new Dense((int)outputs, useBias: b is not null);
        Layer(dense, x, l =>
        {
            Copy(weight, ((Dense)l).Weight.Value, w.Name);
            if (b is not null)
            {
                Copy(b, ((Dense)l).Bias!.Value, bias!.Name);
            }
        });
        _parameters[w.Name] = () => dense.Weight;
        if (bias is not null)
        {
            _parameters[bias.Name] = () => dense.Bias!;
        }
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return result;
    }

    private void ImportBatchNormalization(NodeAttributes a)
    {
        var x = Input(0);
        var parts = new[] { Constant(1)!, Constant(2)!, Constant(3)!, Constant(4)! };
        var channels = x.Shape[0];
        foreach (var part in parts)
        {
            Floats(part, "the statistic");
            if (part.Count != channels)
            {
                throw new InvalidDataException($"{_where}: '{part.Name}' holds {part.Count} values for {channels} channels.");
            }
        }

        var epsilon = a.Float("epsilon", 1e-5f);
        var momentum = a.Float("momentum", 0.9f);
        if (x.Shape.Length is not (1 or 3))
        {
            throw Unsupported($"on [N, {string.Join(", ", x.Shape)}]: MlNetDeep normalises [N, C] and [N, C, H, W]");
        }

        var bn = new BatchNormalization(momentum, epsilon);
        Layer(bn, x, l =>
        {
            var layer = (BatchNormalization)l;
            Copy(parts[0].Floats!, layer.Gamma.Value, parts[0].Name);
            Copy(parts[1].Floats!, layer.Beta.Value, parts[1].Name);
            Copy(parts[2].Floats!, layer.RunningMean, parts[2].Name);
            Copy(parts[3].Floats!, layer.RunningVariance, parts[3].Name);
        });
        _parameters[parts[0].Name] = () => bn.Gamma;
        _parameters[parts[1].Name] = () => bn.Beta;
        _buffers[parts[2].Name] = () => bn.RunningMean;
        _buffers[parts[3].Name] = () => bn.RunningVariance;
    }

    private void ImportSelu(NodeAttributes a)
    {
        var alpha = a.Float("alpha", SELU.Alpha);
        var gamma = a.Float("gamma", SELU.Scale);
        if (Math.Abs(alpha - SELU.Alpha) > 1e-6f || Math.Abs(gamma - SELU.Scale) > 1e-6f)
        {
            throw Unsupported($"with alpha {alpha} and gamma {gamma}: MlNetDeep's SELU has the self-normalising constants only");
        }

        Layer(new SELU(), Input(0));
    }

    private void ImportPRelu()
    {
        var x = Input(0);
        var slope = Constant(1)!;
        var values = Floats(slope, "the slope");
        var channels = x.Shape[0];
        var shared = slope.Count == 1;
        var trailing = slope.Dims.Length == 0 ? [] : slope.Dims[1..];
        if (!shared && (slope.Count != channels || trailing.Any(d => d != 1) || slope.Dims.Length > x.Shape.Length))
        {
            throw Unsupported($"with slopes of shape {slope.Shape} on [N, {string.Join(", ", x.Shape)}]: MlNetDeep learns one slope per channel or one in all");
        }

        var prelu = new PReLU(values[0], shared);
        Layer(prelu, x, l => Copy(values, ((PReLU)l).Slope.Value, slope.Name));
        _parameters[slope.Name] = () => prelu.Slope;
    }

    private void ImportPool(NodeAttributes a)
    {
        var x = Input(0);
        var kernel = a.Ints("kernel_shape") ?? throw new InvalidDataException($"{_where} has no kernel_shape.");
        var strides = a.Ints("strides") ?? [1, 1];
        var pads = a.Ints("pads") ?? [0, 0, 0, 0];
        if (x.Shape.Length != 3 || kernel.Length != 2 || strides.Length != 2 || pads.Length != 4)
        {
            throw Unsupported($"with kernel_shape [{string.Join(", ", kernel)}] on [N, {string.Join(", ", x.Shape)}]: MlNetDeep pools [N, C, H, W] in 2-D");
        }

        if (kernel[0] != kernel[1] || strides[0] != strides[1])
        {
            throw Unsupported($"with kernel [{string.Join(", ", kernel)}] and strides [{string.Join(", ", strides)}]: MlNetDeep's pooling windows and strides are square");
        }

        if (a.Ints("dilations") is { } dilations && dilations.Any(d => d != 1))
        {
            throw Unsupported("with dilations: MlNetDeep's pooling is not dilated");
        }

        a.RequireDefault("storage_order", 0);
        var size = Checked(kernel[0]);
        var stride = Checked(strides[0]);
        Padding padding;
        var autoPad = a.String("auto_pad", "NOTSET");
        if (autoPad == "SAME_UPPER")
        {
            padding = Padding.Same;
        }
        else if (autoPad == "VALID")
        {
            padding = Padding.Valid;
        }
        else if (autoPad == "NOTSET")
        {
            if (pads.Any(p => p < 0 || p >= size))
            {
                throw new InvalidDataException($"{_where} has pads [{string.Join(", ", pads)}]; each must be at least 0 and less than the window {size}.");
            }

            var (top, left, bottom, right) = ((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
            if (a.Int("ceil_mode", 0) != 0)
            {
                // Rounding the output size up is padding the end until the last partial window fits.
                bottom += CeilExtra(x.Shape[1], size, stride, top, bottom);
                right += CeilExtra(x.Shape[2], size, stride, left, right);
                if (bottom >= size || right >= size)
                {
                    throw Unsupported("with ceil_mode = 1 where a window would hold only padding");
                }
            }

            padding = Padding.Explicit(top, bottom, left, right);
        }
        else
        {
            throw Unsupported($"with auto_pad '{autoPad}'");
        }

        if (_node.OpType == "MaxPool")
        {
            Layer(new MaxPool2D(size, stride, padding), x);
            return;
        }

        var padded = padding.IsSame || padding != Padding.Valid;
        if (padded && a.Int("count_include_pad", 0) != 0)
        {
            throw Unsupported("with count_include_pad = 1 and padding: MlNetDeep averages the real inputs of a window only");
        }

        Layer(new AvgPool2D(size, stride, padding), x);
    }

    private static int CeilExtra(int n, int f, int s, int before, int after)
    {
        var span = n + before + after - f;
        return span % s == 0 ? 0 : s - (span % s);
    }

    private void ImportGlobalAveragePool()
    {
        var x = Input(0);
        if (x.Shape.Length != 3 || x.Shape[1] != x.Shape[2])
        {
            throw Unsupported($"on [N, {string.Join(", ", x.Shape)}]: MlNetDeep's pooling windows are square, so the feature maps must be");
        }

        Layer(new AvgPool2D(x.Shape[1]), x);
    }

    private void ImportLrn(NodeAttributes a)
    {
        var size = Checked(a.Int("size", 0));
        if (size % 2 == 0)
        {
            throw Unsupported($"with the even size {size}: ONNX centres an even window one channel later than MlNetDeep (and PyTorch) do");
        }

        var alpha = a.Float("alpha", 1e-4f);
        Layer(new LocalResponseNormalization(size, a.Float("bias", 1f), alpha / size, a.Float("beta", 0.75f)), Input(0));
    }

    private void ImportFlatten(NodeAttributes a)
    {
        var x = Input(0);
        var axis = a.Int("axis", 1);
        if (axis != 1 && axis != -x.Shape.Length)
        {
            throw Unsupported($"on axis {axis}: MlNetDeep flattens each sample (axis 1)");
        }

        Layer(new Flatten(), x);
    }

    private void ImportReshape()
    {
        var x = Input(0);
        var shape = Integers(Constant(1)!, "the target shape");
        var size = x.Shape.Aggregate(1L, (p, d) => p * d);
        var flat = shape.Length == 2 && (shape[0] is 0 or -1 || (shape[0] > 0 && shape[1] == size)) && (shape[1] == -1 || shape[1] == size);
        var same = shape.Length == x.Shape.Length + 1 && shape[0] is 0 or -1 && shape.Skip(1).Select((d, i) => d == 0 || d == x.Shape[i]).All(ok => ok);
        if (same)
        {
            Alias(x);
        }
        else if (flat)
        {
            Layer(new Flatten(), x);
        }
        else
        {
            throw Unsupported($"to [{string.Join(", ", shape)}] from [N, {string.Join(", ", x.Shape)}]: MlNetDeep imports a Reshape that flattens each sample");
        }
    }

    private void ImportDropout(NodeAttributes a)
    {
        var x = Input(0);
        var ratio = a.Float("ratio", 0.5f);
        if (_opset >= 12)
        {
            ratio = Constant(1, required: false) is { } given ? Floats(given, "the ratio").FirstOrDefault(0.5f) : 0.5f;
        }

        if (!(ratio >= 0f && ratio < 1f))
        {
            throw new InvalidDataException($"{_where} drops with ratio {ratio}; expected a value in [0, 1).");
        }

        Layer(new Dropout(1f - ratio), x);
    }

    private void ImportSoftmax(NodeAttributes a)
    {
        var x = Input(0);
        var rank = x.Shape.Length + 1;
        var axis = a.Int("axis", _opset >= 13 ? -1 : 1);
        if (axis < 0)
        {
            axis += rank;
        }

        // Before opset 13 Softmax flattened from the axis on; since then it runs over that one axis. MlNetDeep's runs over a whole sample.
        var wholeSample = axis == 1 && (_opset < 13 || rank == 2);
        if (!wholeSample)
        {
            throw Unsupported($"on axis {a.Int("axis", -1)} of [N, {string.Join(", ", x.Shape)}]: MlNetDeep's softmax runs over all values of a sample");
        }

        Layer(new Softmax(), x);
    }

    /// <summary>
    /// Nearest-neighbour up-sampling by an integer factor s (the same in height and width) copies each value into an s×s block:
    /// a depthwise transposed convolution with an s×s kernel of ones and stride s, frozen so that fine-tuning keeps it.
    /// Other modes (linear, cubic) and fractional scales have no MlNetDeep layer.
    /// </summary>
    private void ImportResize(NodeAttributes a)
    {
        var x = Input(0);
        if (x.Shape.Length != 3)
        {
            throw Unsupported($"on [N, {string.Join(", ", x.Shape)}]: MlNetDeep resizes images [N, C, H, W] only");
        }

        var mode = a.String("mode", "nearest");
        var transform = a.String("coordinate_transformation_mode", "half_pixel");
        var nearest = a.String("nearest_mode", "round_prefer_floor");
        long scale;
        if (_node.OpType == "Upsample" || _opset < 11)
        {
            scale = IntegerScale(Floats(Constant(1)!, "the scales"), x.Shape);
            transform = "asymmetric";
            nearest = "floor";
        }
        else
        {
            var scales = Constant(2, required: false) is { Count: > 0 } s ? Floats(s, "the scales") : null;
            var sizes = Constant(3, required: false) is { Count: > 0 } z ? Integers(z, "the sizes") : null;
            scale = scales is not null ? IntegerScale(scales, x.Shape)
                : sizes is { Length: 4 } && sizes[2] % x.Shape[1] == 0 && sizes[3] * x.Shape[1] == sizes[2] * x.Shape[2] && sizes[1] == x.Shape[0]
                    ? sizes[2] / x.Shape[1]
                    : throw Unsupported("without integer scales equal in height and width");
        }

        // For an integer scale s, 'asymmetric' with 'floor', and 'half_pixel'/'pytorch_half_pixel' with rounding, all read
        // input ⌊i/s⌋; other combinations read elsewhere.
        var exact = mode == "nearest" && ((transform == "asymmetric" && nearest == "floor")
            || (transform is "half_pixel" or "pytorch_half_pixel" && nearest is "round_prefer_floor" or "round_prefer_ceil"));
        if (!exact || scale < 1 || scale > 64)
        {
            throw Unsupported($"in mode '{mode}' ({transform}, {nearest}) with scale {scale}: MlNetDeep has no resize layer; only nearest-neighbour up-sampling by a small integer factor maps onto its layers");
        }

        var channels = x.Shape[0];
        var factor = (int)scale;
        var upsample = new ConvTranspose2D(channels, factor, stride: factor, groups: channels, useBias: false);
        Layer(upsample, x, l =>
        {
            var weight = ((ConvTranspose2D)l).Weight;
            weight.Value.Fill(1f);
            weight.Frozen = true;
        });
    }

    private long IntegerScale(float[] scales, int[] shape)
    {
        if (scales.Length != 4 || scales[0] != 1f || scales[1] != 1f || scales[2] != scales[3] || scales[2] != MathF.Round(scales[2]))
        {
            throw Unsupported($"with scales [{string.Join(", ", scales)}] on [N, {string.Join(", ", shape)}]: only equal integer scales of height and width map onto MlNetDeep's layers");
        }

        return (long)scales[2];
    }

    private Layer Assemble(string outputNode)
    {
        // Keep the entries the output depends on, in order.
        var byName = _entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([outputNode]);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (name != InputNodeName && needed.Add(name))
            {
                foreach (var input in byName[name].Inputs)
                {
                    stack.Push(input);
                }
            }
        }

        var entries = _entries.Where(e => needed.Contains(e.Name)).ToList();
        var chain = entries[^1].Name == outputNode
            && entries.Select((e, i) => e.Kind == EntryKind.Layer && e.Inputs[0] == (i == 0 ? InputNodeName : entries[i - 1].Name)).All(ok => ok);
        var title = string.IsNullOrWhiteSpace(_graph.Name) ? "onnx" : _graph.Name;
        if (chain)
        {
            return new Sequential(entries.Select(e => e.Layer!)) { Name = title };
        }

        var graph = new Graph(InputNodeName) { Name = title };
        foreach (var e in entries)
        {
            _ = e.Kind switch
            {
                EntryKind.Layer => graph.Add(e.Layer!, e.Inputs[0], e.Name),
                EntryKind.Sum => graph.Sum(e.Inputs, e.Name),
                _ => graph.Concat(e.Inputs, e.Name),
            };
        }

        graph.SetOutput(outputNode);
        return graph;
    }

    /// <summary>A value of the graph: the node of ours that computes it, its per-sample shape, and the layer when a layer node.</summary>
    private sealed record Value(string Node, int[] Shape, Layer? Layer);

    /// <summary>A node of the network being assembled.</summary>
    private sealed record Entry(string Name, string Kind, string[] Inputs, Layer? Layer, int[] Shape);

    /// <summary>The kinds of <see cref="Entry"/>.</summary>
    private static class EntryKind
    {
        public const string Layer = "layer";
        public const string Sum = "sum";
        public const string Concat = "concat";
    }
}
