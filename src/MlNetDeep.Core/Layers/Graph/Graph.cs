using MlNetDeep.Layers.Activations;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A network whose layers form a directed acyclic graph rather than a chain: residual additions (ResNet,
/// a[l+2] = g(z[l+2] + a[l]), seed 001 week 2), Inception's parallel branches joined on channels, and U-Net's skip
/// connections. It is itself a layer, so graphs and <see cref="Sequential"/> chains nest in each other.
/// </summary>
/// <remarks>
/// <para>Build the graph with its builder methods, each of which returns the new <see cref="GraphNode"/>:</para>
/// <code>
/// var g = new Graph();
/// var a = g.Add(new Dense(4), g.Input);       // a layer reading a node
/// var b = g.Add(new Dense(4), g.Input);
/// var s = g.Sum([a, b]);                      // elementwise a + b; shapes must match
/// var c = g.Concat([s, a]);                   // joined on axis 1 of [N, C, H, W] or [N, F]
/// g.SetOutput(g.Add(new ReLU(), c));
/// </code>
/// <para>Nodes have unique names (given, or derived from the layer's name) and name their inputs; the overloads that
/// take names may refer to nodes added later. <see cref="Layer.Build"/> resolves the names, orders the nodes
/// topologically and checks the shapes; a missing input, a cycle, a node that does not lead to the output, or a shape
/// mismatch in a sum or concatenation is reported there, naming the nodes and shapes.</para>
/// <para>Forward runs the nodes in topological order. Backward runs them in reverse; a node that feeds several
/// consumers sums their gradients in a buffer it owns. Nodes whose output no gradient needs to reach (no parameters
/// upstream and, when <see cref="Layer.ComputeInputGradient"/> is false, not downstream of the input) are skipped,
/// and each layer is told whether its input gradient is needed. After the first batch nothing is allocated.</para>
/// <para>Inference passes run a convolution node whose output only a batch norm node reads (and its output only a ReLU
/// node), or only a ReLU node, as one pass, and a sum whose output only a ReLU node reads applies the ReLU as it adds:
/// the same bits as the nodes one by one (see <see cref="Sequential"/>).</para>
/// <para><see cref="Layer.Parameters"/>, <see cref="Layer.Buffers"/> and <see cref="ParameterNames"/> list the layer
/// nodes in the order they were added, named <c>node.parameter</c> (for example <c>main.0.weight</c>).</para>
/// </remarks>
public sealed class Graph : Layer
{
    private const string LayerOp = "layer";
    private const string SumOp = "sum";
    private const string ConcatOp = "concat";

    private readonly List<GraphNode> _nodes = [];
    private readonly Dictionary<string, GraphNode> _byName = new(StringComparer.Ordinal);
    private GraphNode[] _order = [];
    private string? _outputName;
    private Tensor? _inputGradient;

    // Inference: a convolution node whose only consumer is a batch norm node (and its only consumer a ReLU node), or a ReLU
    // node, applies them itself (_epilogues[conv]); a sum whose only consumer is a ReLU node applies the ReLU itself
    // (_rectified[sum]); the nodes so absorbed take their input node's output (_passThrough).
    private ConvolutionEpilogue?[] _epilogues = [];
    private bool[] _rectified = [];
    private bool[] _passThrough = [];
    private bool _fusedInference;
    private Tensor? _inferenceInput;

    /// <summary>Creates an empty graph whose input node is named <paramref name="inputName"/>.</summary>
    /// <param name="inputName">The name of the input node; it must not contain '.'.</param>
    public Graph(string inputName = "input")
    {
        Input = Declare(new InputNode(this, CheckName(inputName, nameof(inputName))));
    }

    /// <summary>How many nodes apply the nodes after them in inference passes (convolutions their batch norm and/or ReLU, sums their ReLU).</summary>
    internal int InferenceEpilogues => _epilogues.Count(e => e is not null) + _rectified.Count(r => r);

    /// <summary>The input node: its output is the batch passed to <see cref="Layer.Forward"/>.</summary>
    public GraphNode Input { get; }

    /// <summary>The nodes in the order they were added, the input first.</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>The output node; null until <see cref="SetOutput(GraphNode)"/> is called (or while it names a node not yet added).</summary>
    public GraphNode? Output => _outputName is not null && _byName.TryGetValue(_outputName, out var node) ? node : null;

    /// <summary>The node named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The graph has no such node.</exception>
    public GraphNode this[string name] =>
        _byName.TryGetValue(name, out var node)
            ? node
            : throw new KeyNotFoundException($"Graph '{Name}' has no node '{name}'; its nodes are {NodeList()}.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [.. LayerNodes().SelectMany(n => n.Layer!.Parameters)];

    /// <inheritdoc />
    /// <remarks>Named <c>node.buffer</c>.</remarks>
    public override IReadOnlyList<(string Name, Tensor Value)> Buffers =>
        [.. LayerNodes().SelectMany(n => n.Layer!.Buffers.Select(b => ($"{n.Name}.{b.Name}", b.Value)))];

    /// <summary>Adds a node that applies <paramref name="layer"/> to the output of <paramref name="input"/>.</summary>
    /// <param name="layer">The layer; a layer instance can be in one node only, since it caches its last input.</param>
    /// <param name="input">A node of this graph.</param>
    /// <param name="name">The node's name; by default the layer's name, made unique with a suffix <c>_1</c>, <c>_2</c>, ….</param>
    /// <returns>The new node.</returns>
    public GraphNode Add(Layer layer, GraphNode input, string? name = null) => Add(layer, Own(input).Name, name);

    /// <summary>Adds a node that applies <paramref name="layer"/> to the output of the node named <paramref name="input"/>,
    /// which may be added later (the name is resolved by <see cref="Layer.Build"/>).</summary>
    /// <param name="layer">The layer; a layer instance can be in one node only, since it caches its last input.</param>
    /// <param name="input">The name of the input node.</param>
    /// <param name="name">The node's name; by default the layer's name, made unique with a suffix <c>_1</c>, <c>_2</c>, ….</param>
    /// <returns>The new node.</returns>
    public GraphNode Add(Layer layer, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentException.ThrowIfNullOrEmpty(input);
        RequireUnbuilt(name ?? layer.Name);
        if (ReferenceEquals(layer, this))
        {
            throw new ArgumentException($"Graph '{Name}' cannot contain itself.", nameof(layer));
        }

        var owner = _nodes.FirstOrDefault(n => ReferenceEquals(n.Layer, layer));
        if (owner is not null)
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' is already node '{owner.Name}' of graph '{Name}'; a layer caches its last input, so each node needs its own layer instance.",
                nameof(layer));
        }

        return Declare(new LayerNode(this, NodeName(name, layer.Name), input, layer));
    }

    /// <summary>Adds a node that sums its inputs elementwise (residual addition); their shapes must match.</summary>
    /// <param name="inputs">Nodes of this graph (at least one), for example <c>[main, shortcut]</c>.</param>
    /// <param name="name">The node's name; <c>sum</c> (made unique) by default.</param>
    /// <returns>The new node.</returns>
    public GraphNode Sum(IReadOnlyList<GraphNode> inputs, string? name = null) => Sum(Names(inputs), name);

    /// <summary>Adds a node that sums the named nodes elementwise (residual addition); their shapes must match.</summary>
    /// <param name="inputs">The names of the input nodes (at least one); nodes added later may be named.</param>
    /// <param name="name">The node's name; <c>sum</c> (made unique) by default.</param>
    /// <returns>The new node.</returns>
    public GraphNode Sum(IReadOnlyList<string> inputs, string? name = null)
    {
        var names = CheckInputs(inputs, name ?? SumOp);
        return Declare(new SumNode(this, NodeName(name, SumOp), names));
    }

    /// <summary>Adds a node that concatenates its inputs along axis 1 of [N, C, H, W] (channels) or [N, F] (features);
    /// the other axes must match.</summary>
    /// <param name="inputs">Nodes of this graph (at least one), in the order their channels are to appear.</param>
    /// <param name="name">The node's name; <c>concat</c> (made unique) by default.</param>
    /// <returns>The new node.</returns>
    public GraphNode Concat(IReadOnlyList<GraphNode> inputs, string? name = null) => Concat(Names(inputs), name);

    /// <summary>Adds a node that concatenates the named nodes along axis 1 of [N, C, H, W] (channels) or [N, F]
    /// (features); the other axes must match.</summary>
    /// <param name="inputs">The names of the input nodes (at least one); nodes added later may be named.</param>
    /// <param name="name">The node's name; <c>concat</c> (made unique) by default.</param>
    /// <returns>The new node.</returns>
    public GraphNode Concat(IReadOnlyList<string> inputs, string? name = null)
    {
        var names = CheckInputs(inputs, name ?? ConcatOp);
        return Declare(new ConcatNode(this, NodeName(name, ConcatOp), names));
    }

    /// <summary>Makes <paramref name="node"/> the graph's output.</summary>
    /// <returns>This graph.</returns>
    public Graph SetOutput(GraphNode node) => SetOutput(Own(node).Name);

    /// <summary>Makes the node named <paramref name="name"/> the graph's output (resolved by <see cref="Layer.Build"/>).</summary>
    /// <returns>This graph.</returns>
    public Graph SetOutput(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        RequireUnbuilt(name);
        _outputName = name;
        return this;
    }

    /// <summary>Names each parameter <c>node.name</c> (for example <c>main.0.weight</c>), in <see cref="Parameters"/> order.</summary>
    public override IReadOnlyList<string> ParameterNames() =>
        [.. LayerNodes().SelectMany(n => n.Layer!.ParameterNames().Select(p => $"{n.Name}.{p}"))];

    /// <inheritdoc />
    /// <remarks>
    /// The children are the layers of the layer nodes, in the order added. The settings hold the wiring: <c>input</c>
    /// and <c>output</c> (node names), <c>nodes</c> (the number of nodes after the input) and, for node i,
    /// <c>node{i}.name</c>, <c>node{i}.op</c> (<c>layer</c>, <c>sum</c> or <c>concat</c>), <c>node{i}.inputs</c> (the count)
    /// and <c>node{i}.input{j}</c> (names).
    /// </remarks>
    public override LayerDescription Describe()
    {
        var settings = new List<KeyValuePair<string, string>>
        {
            new("input", Input.Name),
            new("nodes", LayerDescription.ToSetting(_nodes.Count - 1)),
        };
        if (_outputName is not null)
        {
            settings.Add(new("output", _outputName));
        }

        for (var i = 1; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            var key = $"node{i - 1}.";
            settings.Add(new(key + "name", node.Name));
            settings.Add(new(key + "op", node.Kind switch { GraphNodeKind.Layer => LayerOp, GraphNodeKind.Sum => SumOp, _ => ConcatOp }));
            settings.Add(new(key + "inputs", LayerDescription.ToSetting(node.InputNames.Count)));
            for (var j = 0; j < node.InputNames.Count; j++)
            {
                settings.Add(new(key + $"input{j}", node.InputNames[j]));
            }
        }

        return new LayerDescription("Graph", Name, settings, LayerNodes().Select(n => n.Layer!.Describe()));
    }

    /// <summary>Re-creates an unbuilt graph from its <see cref="Describe"/> output (the factory registered as <c>Graph</c>).</summary>
    internal static Graph FromDescription(LayerDescription description)
    {
        var graph = new Graph(description.GetString("input"));
        var count = description.GetInt32("nodes");
        if (count < 0)
        {
            throw new InvalidDataException($"graph '{description.Name}' declares {count} nodes.");
        }

        var children = description.Children;
        var next = 0;
        for (var i = 0; i < count; i++)
        {
            var key = $"node{i}.";
            var name = description.GetString(key + "name");
            var inputCount = description.GetInt32(key + "inputs");
            if (inputCount < 1 || inputCount > description.Settings.Count)
            {
                throw new InvalidDataException($"graph '{description.Name}': node '{name}' declares {inputCount} inputs.");
            }

            var inputs = new string[inputCount];
            for (var j = 0; j < inputCount; j++)
            {
                inputs[j] = description.GetString(key + $"input{j}");
            }

            switch (description.GetString(key + "op"))
            {
                case LayerOp when inputCount == 1:
                    if (next == children.Count)
                    {
                        throw new InvalidDataException(
                            $"graph '{description.Name}' has more layer nodes than the {children.Count} layers it describes.");
                    }

                    graph.Add(LayerRegistry.Create(children[next++]), inputs[0], name);
                    break;
                case SumOp:
                    graph.Sum(inputs, name);
                    break;
                case ConcatOp:
                    graph.Concat(inputs, name);
                    break;
                case var op:
                    throw new InvalidDataException(
                        $"graph '{description.Name}': node '{name}' has operation '{op}' with {inputCount} inputs; expected 'layer' (one input), 'sum' or 'concat'.");
            }
        }

        if (next != children.Count)
        {
            throw new InvalidDataException($"graph '{description.Name}' describes {children.Count} layers but only {next} layer nodes.");
        }

        if (description.Settings.ContainsKey("output"))
        {
            graph.SetOutput(description.GetString("output"));
        }

        return graph;
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var output = _outputName is null
            ? throw new InvalidOperationException($"Graph '{Name}' has no output node: call SetOutput with the node whose output the graph returns.")
            : _byName.TryGetValue(_outputName, out var found)
                ? found
                : throw new InvalidOperationException($"Graph '{Name}': the output is '{_outputName}', which is not a node of the graph; its nodes are {NodeList()}.");
        if (output == Input)
        {
            throw new InvalidOperationException($"Graph '{Name}': the output is the input node '{Input.Name}'; add at least one layer.");
        }

        foreach (var node in _nodes)
        {
            node.Resolve([.. node.InputNames.Select(n => _byName.TryGetValue(n, out var source)
                ? source
                : throw new InvalidOperationException(
                    $"Graph '{Name}': node '{node.Name}' reads '{n}', which is not a node of the graph; its nodes are {NodeList()}."))]);
        }

        var order = TopologicalOrder();
        CheckEveryNodeLeadsTo(output);
        foreach (var node in order)
        {
            node.Build(inputShape, random);
            node.ConsumerEdges = 0;
        }

        foreach (var node in order)
        {
            foreach (var source in node.Inputs)
            {
                source.ConsumerEdges++;
            }
        }

        output.ConsumerEdges++;
        _order = order;
        _epilogues = new ConvolutionEpilogue?[order.Length];
        _rectified = new bool[order.Length];
        _passThrough = new bool[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            if (order[i] is SumNode)
            {
                var relu = SoleConsumer(order, i, node => node.Layer is ReLU);
                if (relu >= 0)
                {
                    _rectified[i] = true;
                    _passThrough[relu] = true;
                }
            }
            else if (order[i].Layer is ConvolutionLayer)
            {
                var normalization = SoleConsumer(order, i, node => node.Layer is BatchNormalization);
                var relu = SoleConsumer(order, normalization >= 0 ? normalization : i, node => node.Layer is ReLU);
                if (normalization >= 0 || relu >= 0)
                {
                    _epilogues[i] = new ConvolutionEpilogue(normalization >= 0 ? (BatchNormalization)order[normalization].Layer! : null, relu >= 0);
                    _passThrough[Math.Max(normalization, relu)] = true;
                    if (normalization >= 0 && relu >= 0)
                    {
                        _passThrough[normalization] = true;
                    }
                }
            }
        }

        return output.OutputShape.ToArray();
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training) => Run(input, training, !training && Sequential.FuseInference);

    /// <summary>The forward pass; <paramref name="fuse"/> lets convolutions apply the batch norm and ReLU nodes after them, and sums the ReLU after them (inference only).</summary>
    private Tensor Run(Tensor input, bool training, bool fuse)
    {
        var y = input;
        _fusedInference = false;
        _inferenceInput = null;
        for (var i = 0; i < _order.Length; i++)
        {
            var node = _order[i];
            if (fuse && _rectified[i])
            {
                y = ((SumNode)node).ForwardRectified();
                _fusedInference = true;
                _inferenceInput = input;
            }
            else if (fuse && _epilogues[i] is { } epilogue)
            {
                y = ((LayerNode)node).ForwardInference(epilogue);
                _fusedInference = true;
                _inferenceInput = input;
            }
            else if (fuse && _passThrough[i])
            {
                y = ((LayerNode)node).PassThrough(node.Inputs[0].Output!);
            }
            else
            {
                y = node.Forward(input, training);
            }
        }

        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_fusedInference)
        {
            // The ReLU nodes a fused inference pass skipped hold no state for their backward passes: run the nodes one by one
            // again (the same outputs) first.
            Run(_inferenceInput!, training: false, fuse: false);
        }

        var output = _order[^1];
        var y = output.Output ?? throw new InvalidOperationException($"Graph '{Name}': Backward called before Forward.");
        if (outputGradient.Length != y.Length)
        {
            throw new ArgumentException(
                $"Graph '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(y.Shape)}.",
                nameof(outputGradient));
        }

        foreach (var node in _order)
        {
            node.PrepareBackward(ComputeInputGradient);
        }

        if (output.RequiresGradient)
        {
            output.Receive(outputGradient);
            for (var i = _order.Length - 1; i > 0; i--)
            {
                var node = _order[i];
                if (node.RequiresGradient)
                {
                    node.Backward(node.Gradient
                        ?? throw new InvalidOperationException($"Graph '{Name}': node '{node.Name}' received no gradient."));
                }
            }
        }

        // With ComputeInputGradient false the input gradient is unspecified; return a reused buffer.
        return Input.Gradient ?? Tensor.Ensure(ref _inputGradient, y.Rows, InputShape);
    }

    /// <summary>
    /// The index in <paramref name="order"/> of the only consumer of node <paramref name="source"/> when it has one (it is
    /// not the graph's output either) and it is a layer node that <paramref name="match"/> accepts; otherwise −1.
    /// </summary>
    private static int SoleConsumer(GraphNode[] order, int source, Func<GraphNode, bool> match)
    {
        if (order[source].ConsumerEdges != 1)
        {
            return -1;
        }

        var consumer = Array.FindIndex(order, node => node.Inputs.Contains(order[source]));
        return consumer >= 0 && order[consumer] is LayerNode && match(order[consumer]) ? consumer : -1;
    }

    /// <summary>Orders the nodes so that each comes after its inputs, keeping the order of addition where free.</summary>
    private GraphNode[] TopologicalOrder()
    {
        var pending = _nodes.ToDictionary(n => n, n => n.Inputs.Length);
        var order = new List<GraphNode>(_nodes.Count);
        var progress = true;
        while (progress)
        {
            progress = false;
            foreach (var node in _nodes)
            {
                if (pending.TryGetValue(node, out var count) && count == 0)
                {
                    pending.Remove(node);
                    order.Add(node);
                    foreach (var consumer in _nodes)
                    {
                        if (pending.ContainsKey(consumer))
                        {
                            pending[consumer] -= consumer.Inputs.Count(source => source == node);
                        }
                    }

                    progress = true;
                    break;
                }
            }
        }

        if (pending.Count > 0)
        {
            // Every node left waits for at least one other node left: walk back through those until one repeats.
            var path = new List<GraphNode> { pending.Keys.First() };
            while (true)
            {
                var previous = path[^1].Inputs.First(pending.ContainsKey);
                var seen = path.IndexOf(previous);
                if (seen >= 0)
                {
                    var cycle = path[seen..].Select(n => $"'{n.Name}'").Reverse().ToList();
                    cycle.Add(cycle[0]);
                    throw new InvalidOperationException(
                        $"Graph '{Name}' has a cycle: {string.Join(" -> ", cycle)}; a graph's nodes must form a DAG.");
                }

                path.Add(previous);
            }
        }

        return [.. order];
    }

    private void CheckEveryNodeLeadsTo(GraphNode output)
    {
        var live = new HashSet<GraphNode>();
        var stack = new Stack<GraphNode>([output]);
        while (stack.TryPop(out var node))
        {
            if (live.Add(node))
            {
                foreach (var source in node.Inputs)
                {
                    stack.Push(source);
                }
            }
        }

        var dead = _nodes.Where(n => !live.Contains(n)).Select(n => $"'{n.Name}'").ToList();
        if (dead.Count > 0)
        {
            throw new InvalidOperationException(
                $"Graph '{Name}': node(s) {string.Join(", ", dead)} do not lead to the output '{output.Name}'; remove them or connect them.");
        }
    }

    private IEnumerable<GraphNode> LayerNodes() => _nodes.Where(n => n.Layer is not null);

    private T Declare<T>(T node)
        where T : GraphNode
    {
        _nodes.Add(node);
        _byName.Add(node.Name, node);
        return node;
    }

    private GraphNode Own(GraphNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Graph == this
            ? node
            : throw new ArgumentException($"Node '{node.Name}' belongs to graph '{node.Graph.Name}', not to graph '{Name}'.", nameof(node));
    }

    private string[] Names(IReadOnlyList<GraphNode> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return [.. inputs.Select(n => Own(n).Name)];
    }

    private string[] CheckInputs(IReadOnlyList<string> inputs, string node)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        RequireUnbuilt(node);
        if (inputs.Count == 0)
        {
            throw new ArgumentException($"Graph '{Name}': merge node '{node}' needs at least one input.", nameof(inputs));
        }

        foreach (var input in inputs)
        {
            ArgumentException.ThrowIfNullOrEmpty(input, nameof(inputs));
        }

        return [.. inputs];
    }

    /// <summary>The given name, checked, or a unique name derived from <paramref name="fallback"/>.</summary>
    private string NodeName(string? name, string fallback)
    {
        if (name is not null)
        {
            CheckName(name, nameof(name));
            return _byName.ContainsKey(name)
                ? throw new ArgumentException($"Graph '{Name}' already has a node named '{name}'.", nameof(name))
                : name;
        }

        var stem = string.IsNullOrEmpty(fallback) ? "node" : fallback.Replace('.', '_');
        var candidate = stem;
        for (var k = 1; _byName.ContainsKey(candidate); k++)
        {
            candidate = $"{stem}_{k}";
        }

        return candidate;
    }

    private static string CheckName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        return name.Contains('.', StringComparison.Ordinal)
            ? throw new ArgumentException($"Node name '{name}' contains '.', which separates the parts of parameter names.", parameter)
            : name;
    }

    private void RequireUnbuilt(string node)
    {
        if (IsBuilt)
        {
            throw new InvalidOperationException($"Cannot add or change node '{node}': graph '{Name}' is already built.");
        }
    }

    private string NodeList() => string.Join(", ", _nodes.Select(n => $"'{n.Name}'"));
}
