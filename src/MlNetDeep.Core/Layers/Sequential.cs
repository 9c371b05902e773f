using MlNetDeep.Layers.Activations;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A chain of layers: the output of each is the input of the next (a feed-forward network of seed 002 §2).
/// It is itself a layer, so chains nest. Backward runs the layers in reverse order.
/// </summary>
/// <remarks>
/// A <see cref="ReLU"/> directly followed by a 2×2 stride-2 <see cref="MaxPool2D"/> (conv → ReLU → pool, as in LeNet
/// and VGG) runs as one pass: the pooling takes max(0, max(window)) of the ReLU's input and routes gradients only
/// where that is positive. The results are the same, bit for bit, as running the two layers; the ReLU's own output
/// (one full-size tensor written and read twice) is skipped, and the ReLU layer's cached state is not updated.
/// <para>
/// Inference passes (<c>training: false</c>) run a convolution followed by a <see cref="BatchNormalization"/> and/or a
/// <see cref="ReLU"/> as one pass: the convolution applies their inference form to its outputs as it writes them (the
/// same float operations in the same order, so the same bits as running the layers one by one). A backward pass after
/// such an inference pass first runs the layers one by one again, so that each has the state its backward pass reads.
/// </para>
/// </remarks>
public sealed class Sequential : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => _layers.All(l => l.IsSampleIndependent);

    private readonly List<Layer> _layers = [];
    private bool[] _fused = [];
    private ConvolutionEpilogue?[] _epilogues = [];
    private bool _fusedInference;
    private Tensor? _inferenceInput;

    /// <summary>Switch for tests and benchmarks: false runs every layer (and, in a <see cref="Graph"/>, every node) on its own in inference passes too.</summary>
    internal static bool FuseInference { get; set; } = true;

    /// <summary>Creates a chain of the given layers.</summary>
    public Sequential(params IEnumerable<Layer> layers)
    {
        foreach (var layer in layers)
        {
            Add(layer);
        }
    }

    /// <summary>How many convolutions run the batch norm and/or ReLU after them in their inference passes.</summary>
    internal int InferenceEpilogues => _epilogues.Count(e => e is not null);

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [.. _layers.SelectMany(l => l.Parameters)];

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Value)> Buffers =>
        [.. _layers.SelectMany((l, i) => l.Buffers.Select(b => ($"{i}.{b.Name}", b.Value)))];

    /// <summary>Appends a layer; only before the chain is built.</summary>
    public Sequential Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (IsBuilt)
        {
            throw new InvalidOperationException($"Cannot add layer '{layer.Name}': network '{Name}' is already built.");
        }

        _layers.Add(layer);
        return this;
    }

    /// <summary>Names each parameter by its layer's position, as <c>index.name</c> (for example <c>0.weight</c>, or
    /// <c>2.0.weight</c> in a nested container), in <see cref="Parameters"/> order.</summary>
    public override IReadOnlyList<string> ParameterNames() =>
        [.. _layers.SelectMany((l, i) => l.ParameterNames().Select(n => $"{i}.{n}"))];

    /// <inheritdoc />
    public override LayerDescription Describe() => new("Sequential", Name, children: _layers.Select(l => l.Describe()));

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Network '{Name}' has no layers.");
        }

        var shape = inputShape;
        foreach (var layer in _layers)
        {
            // A layer that is already built for this input keeps its weights (transfer learning reuses trained layers).
            shape = layer.IsBuilt && layer.InputShape.SequenceEqual(shape) ? layer.OutputShape.ToArray() : layer.Build(shape, random);
        }

        _fused = new bool[_layers.Count];
        for (var i = 0; i + 1 < _layers.Count; i++)
        {
            _fused[i] = _layers[i] is ReLU && _layers[i + 1] is MaxPool2D { IsPairwise: true };
        }

        _epilogues = new ConvolutionEpilogue?[_layers.Count];
        for (var i = 0; i + 1 < _layers.Count; i++)
        {
            if (_layers[i] is not ConvolutionLayer)
            {
                continue;
            }

            // conv → batch norm [→ ReLU] or conv → ReLU; a ReLU that feeds a pairwise max pooling stays with the pooling.
            var normalization = _layers[i + 1] as BatchNormalization;
            var next = i + (normalization is null ? 1 : 2);
            var rectify = next < _layers.Count && _layers[next] is ReLU && !_fused[next];
            if (normalization is not null || rectify)
            {
                _epilogues[i] = new ConvolutionEpilogue(normalization, rectify);
            }
        }

        return shape;
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training) => Run(input, training, !training && FuseInference);

    /// <summary>The forward pass; <paramref name="fuse"/> runs conv → batch norm → ReLU chains as one pass (inference only).</summary>
    private Tensor Run(Tensor input, bool training, bool fuse)
    {
        var x = input;
        _fusedInference = false;
        _inferenceInput = null;
        for (var i = 0; i < _layers.Count; i++)
        {
            if (fuse && _epilogues[i] is { } epilogue)
            {
                x = ((ConvolutionLayer)_layers[i]).ForwardInference(x, epilogue);
                i += (epilogue.Normalizes ? 1 : 0) + (epilogue.Rectify ? 1 : 0);
                _fusedInference = true;
                _inferenceInput = input;
            }
            else if (_fused[i])
            {
                x = ((MaxPool2D)_layers[++i]).ForwardRectified(x, training);
            }
            else
            {
                x = _layers[i].Forward(x, training);
            }
        }

        return x;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_fusedInference)
        {
            // The fused inference pass left the absorbed layers without the state their backward passes read (their inputs
            // and outputs): run the layers one by one again (the same outputs), then go back through them.
            Run(_inferenceInput!, training: false, fuse: false);
        }

        _layers[0].ComputeInputGradient = ComputeInputGradient;
        var g = outputGradient;
        for (var i = _layers.Count - 1; i >= 0; i--)
        {
            g = _layers[i].Backward(g);
            if (i > 0 && _fused[i - 1] && ((MaxPool2D)_layers[i]).Rectified)
            {
                i--; // the pooling's gradient is already with respect to the ReLU's input
            }
        }

        return g;
    }
}
