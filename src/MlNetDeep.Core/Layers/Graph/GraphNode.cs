using System.Numerics.Tensors;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A node of a <see cref="Graph"/>: the graph's input, a layer applied to one node, or a merge (sum or concatenation)
/// of several nodes. Nodes are created by the graph's builder methods and name their inputs by node name; the names
/// are resolved, checked and ordered when the graph is built.
/// </summary>
/// <remarks>
/// During the backward pass a node receives one gradient per edge to a consumer. When it feeds exactly one edge it
/// uses that gradient as it is; when it fans out, the gradients are summed into a buffer the node owns, reused from
/// call to call.
/// </remarks>
public abstract class GraphNode
{
    private readonly string[] _inputNames;
    private int[]? _outputShape;
    private Tensor? _gradientBuffer;
    private int _received;

    private protected GraphNode(Graph graph, string name, string[] inputNames)
    {
        Graph = graph;
        Name = name;
        _inputNames = inputNames;
    }

    /// <summary>The graph the node belongs to.</summary>
    public Graph Graph { get; }

    /// <summary>The node's name, unique within its graph; parameter names are prefixed with it (<c>name.weight</c>).</summary>
    public string Name { get; }

    /// <summary>What the node computes.</summary>
    public abstract GraphNodeKind Kind { get; }

    /// <summary>The layer of a <see cref="GraphNodeKind.Layer"/> node; null for the input and merge nodes.</summary>
    public virtual Layer? Layer => null;

    /// <summary>The names of the nodes this node reads, in order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>The per-sample output shape, known once the graph is built.</summary>
    public ReadOnlySpan<int> OutputShape =>
        _outputShape ?? throw new InvalidOperationException($"Node '{Name}' of graph '{Graph.Name}' is not built yet.");

    /// <summary>The input nodes, resolved from <see cref="InputNames"/> when the graph is built.</summary>
    internal GraphNode[] Inputs { get; private set; } = [];

    /// <summary>The output of the last forward pass.</summary>
    internal Tensor? Output { get; private protected set; }

    /// <summary>The sum of the gradients received in the current backward pass; null when none was.</summary>
    internal Tensor? Gradient { get; private set; }

    /// <summary>True when the loss gradient must reach this node's output in the current backward pass.</summary>
    internal bool RequiresGradient { get; private set; }

    /// <summary>The number of edges from this node to its consumers (the graph's output counts as one).</summary>
    internal int ConsumerEdges { get; set; }

    /// <summary>True when the node owns trainable parameters (whose gradients need its backward pass).</summary>
    private protected virtual bool HasParameters => false;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} '{Name}'" + (_inputNames.Length == 0 ? string.Empty : $" <- {string.Join(", ", _inputNames)}")
        + (_outputShape is null ? string.Empty : $" {Tensor.Format(_outputShape)}");

    /// <summary>Sets the resolved input nodes.</summary>
    internal void Resolve(GraphNode[] inputs) => Inputs = inputs;

    /// <summary>Fixes the output shape from the inputs' shapes (or the graph's input shape), building the node's layer.</summary>
    internal void Build(int[] graphInputShape, RandomSource random) => _outputShape = OnBuild(graphInputShape, random);

    /// <summary>Decides whether the gradient must reach this node, and forgets the last pass's gradients.
    /// Call in topological order, so that the inputs are decided first.</summary>
    internal void PrepareBackward(bool computeInputGradient)
    {
        var requires = Kind == GraphNodeKind.Input ? computeInputGradient : HasParameters;
        foreach (var input in Inputs)
        {
            requires |= input.RequiresGradient;
        }

        RequiresGradient = requires;
        Gradient = null;
        _received = 0;
    }

    /// <summary>Adds one consumer edge's gradient to this node's output gradient.</summary>
    internal void Receive(Tensor gradient)
    {
        if (gradient.Length != LastOutput.Length)
        {
            throw new InvalidOperationException(
                $"Graph '{Graph.Name}': node '{Name}' received a gradient of shape {Tensor.Format(gradient.Shape)} for its output of shape {Tensor.Format(LastOutput.Shape)}.");
        }

        if (_received == 0)
        {
            if (ConsumerEdges == 1)
            {
                Gradient = gradient;
            }
            else
            {
                var sum = Tensor.Ensure(ref _gradientBuffer, gradient.Rows, OutputShape);
                sum.CopyFrom(gradient);
                Gradient = sum;
            }
        }
        else
        {
            TensorPrimitives.Add(Gradient!.Span, gradient.Span, Gradient.Span);
        }

        _received++;
    }

    /// <summary>Computes and returns the output shape.</summary>
    private protected abstract int[] OnBuild(int[] graphInputShape, RandomSource random);

    /// <summary>Computes <see cref="Output"/> from the inputs' outputs (or the graph's input) and returns it.</summary>
    internal abstract Tensor Forward(Tensor graphInput, bool training);

    /// <summary>Propagates <paramref name="outputGradient"/> to the inputs that require a gradient, through <see cref="Receive"/>.</summary>
    internal abstract void Backward(Tensor outputGradient);

    /// <summary>The output of the last forward pass, or a clear error.</summary>
    private protected Tensor LastOutput =>
        Output ?? throw new InvalidOperationException($"Graph '{Graph.Name}': node '{Name}' has no output; Backward called before Forward.");
}
