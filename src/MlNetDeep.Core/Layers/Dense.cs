using System.Runtime.Intrinsics.X86;
using MlNetDeep.Initializers;
using MlNetDeep.Kernels;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A fully connected layer z = W·a + b (seed 002 §2), with W stored as [out, in] as in the seeds and PyTorch.
/// Any per-sample input shape is flattened. Backward: ∂C/∂W += δᵀ·a, ∂C/∂b += Σδ, ∂C/∂a = δ·W.
/// </summary>
public sealed class Dense : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;

    /// <summary>Up to this many rows the forward pass takes dot products directly (no packing of the weights).</summary>
    private const int SmallBatch = 3;

    /// <summary>
    /// Up to this many weights (4 MiB), weights that cannot change (<see cref="Tensor.ValuesFixed"/>: a PredictionEngine's
    /// copy) are kept transposed for the small-batch forward, which then reads Wᵀ's rows instead of transposing tiles of W
    /// as it goes (LeNet-5's 400→120 layer at batch 1: 2.0 µs against 5.6). Weights that can change are not: checking that
    /// they did not (comparing them with a copy) costs as much as the transposition it would save.
    /// </summary>
    private const int MaxTransposedWeights = 1 << 20;

    // The transposed weights (inputs × a multiple of 16) and the tensor they were made from.
    private float[] _transposed = [];
    private Tensor? _transposedFrom;

    /// <summary>Creates a dense layer.</summary>
    /// <param name="units">The number of output neurons.</param>
    /// <param name="weightInitializer">How W is initialised; Xavier uniform when null.</param>
    /// <param name="biasInitializer">How b is initialised; zeros when null.</param>
    /// <param name="useBias">False for a layer without b (for example before batch normalisation).</param>
    public Dense(int units, Initializer? weightInitializer = null, Initializer? biasInitializer = null, bool useBias = true)
    {
        if (units <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, "A dense layer needs at least one unit.");
        }

        Units = units;
        UseBias = useBias;
        _weightInitializer = weightInitializer ?? new XavierUniform();
        _biasInitializer = biasInitializer ?? new Zeros();
    }

    /// <summary>The number of output neurons.</summary>
    public int Units { get; }

    /// <summary>True when the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>The weights W, shape [out, in].</summary>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The bias b, shape [out]; null when <see cref="UseBias"/> is false.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _bias is null ? [Weight] : [Weight, _bias];

    /// <inheritdoc />
    /// <remarks>The initialisers are not described: a loaded or cloned layer takes its weights from the original.</remarks>
    public override LayerDescription Describe() => new(
        "Dense",
        Name,
        [new("units", LayerDescription.ToSetting(Units)), new("useBias", LayerDescription.ToSetting(UseBias))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var inputs = Tensor.ProductOf(inputShape);
        _weight = new Parameter("weight", true, Units, inputs);
        _weightInitializer.Fill(_weight.Value.Span, inputs, Units, random);
        if (UseBias)
        {
            _bias = new Parameter("bias", false, Units);
            _biasInitializer.Fill(_bias.Value.Span, inputs, Units, random);
        }

        return [Units];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var n = input.Rows;
        var inputs = input.RowSize;
        var y = Tensor.Ensure(ref _output, n, [Units]);
        _input = input;
        var bias = _bias is null ? default : _bias.Value.Span;
        if (n <= SmallBatch && Weight.Value.ValuesFixed && inputs * Units <= MaxTransposedWeights && Avx512F.IsSupported)
        {
            var stride = (Units + 15) & ~15;
            VectorOps.DenseRowsTransposed(input.Span, n, inputs, TransposedWeights(inputs, stride), stride, bias, y.Span);
            return y;
        }

        if (n <= SmallBatch && VectorOps.DenseRows(input.Span, n, inputs, Weight.Value.Span, bias, y.Span))
        {
            return y;
        }

        // The bias is added by each GEMM thread to the rows it computed (the same bits as a pass afterwards, without one
        // thread reading the other's rows).
        Gemm.Multiply(false, true, n, Units, inputs, 1f, input.Span, inputs, Weight.Value.Span, inputs, 0f, y.Span, Units, bias);
        return y;
    }

    /// <summary>Wᵀ with rows <paramref name="stride"/> floats apart, made once from weights that cannot change.</summary>
    private ReadOnlySpan<float> TransposedWeights(int inputs, int stride)
    {
        var weights = Weight.Value;
        if (!ReferenceEquals(_transposedFrom, weights))
        {
            _transposed = new float[inputs * stride];
            VectorOps.Transpose(weights.Span, Units, inputs, _transposed, stride);
            _transposedFrom = weights;
        }

        return _transposed;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var n = x.Rows;
        var inputs = x.RowSize;
        if (outputGradient.Length != n * Units)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected [{n}, {Units}].",
                nameof(outputGradient));
        }

        var dy = outputGradient.Span;
        if (!Weight.Frozen)
        {
            Gemm.Multiply(true, false, Units, inputs, n, 1f, dy, Units, x.Span, inputs, 1f, Weight.Gradient.Span, inputs);
        }

        if (_bias is not null && !_bias.Frozen)
        {
            VectorOps.AddRowSums(dy, n, _bias.Gradient.Span);
        }

        var dx = Tensor.Ensure(ref _inputGradient, n, InputShape);
        if (ComputeInputGradient)
        {
            Gemm.Multiply(false, false, n, inputs, Units, 1f, dy, Units, Weight.Value.Span, inputs, 0f, dx.Span, inputs);
        }

        return dx;
    }
}
