using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>
/// Parametric ReLU max(αz, z) whose slope α is learned by backpropagation (seed 000 §1.5): one α per
/// channel (the first per-sample dimension: features of a vector, C of an image), or one shared α.
/// </summary>
public sealed class PReLU : Layer
{
    private readonly bool _shared;
    private readonly float _initialSlope;
    private Parameter? _slope;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;

    /// <summary>Creates a PReLU.</summary>
    /// <param name="initialSlope">The starting α (0.25 as in He et al.).</param>
    /// <param name="shared">True for a single α for all channels.</param>
    public PReLU(float initialSlope = 0.25f, bool shared = false)
    {
        _initialSlope = initialSlope;
        _shared = shared;
    }

    /// <summary>The learned slopes α.</summary>
    public Parameter Slope => _slope ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Slope];

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "PReLU",
        Name,
        [new("initialSlope", LayerDescription.ToSetting(_initialSlope)), new("shared", LayerDescription.ToSetting(_shared))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        _slope = new Parameter("slope", false, _shared ? 1 : inputShape[0]);
        _slope.Value.Fill(_initialSlope);
        return inputShape;
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, InputShape);
        var x = input.Span;
        var o = y.Span;
        var a = Slope.Value.Span;
        var (channels, inner) = Planes(input);
        for (var plane = 0; plane < input.Rows * channels; plane++)
        {
            var alpha = a[_shared ? 0 : plane % channels];
            VectorOps.LeakyRelu(x.Slice(plane * inner, inner), o.Slice(plane * inner, inner), alpha);
        }

        _input = input;
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != input.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(_output!.Shape)}.",
                nameof(outputGradient));
        }

        var dx = Tensor.Ensure(ref _inputGradient, input.Rows, InputShape);
        var x = input.Span;
        var g = outputGradient.Span;
        var d = dx.Span;
        var a = Slope.Value.Span;
        var da = Slope.Gradient.Span;
        var frozen = Slope.Frozen;
        var (channels, inner) = Planes(input);
        for (var plane = 0; plane < input.Rows * channels; plane++)
        {
            var c = _shared ? 0 : plane % channels;
            var xs = x.Slice(plane * inner, inner);
            var gs = g.Slice(plane * inner, inner);
            VectorOps.LeakyReluBackward(xs, gs, d.Slice(plane * inner, inner), a[c]);
            if (!frozen)
            {
                da[c] += VectorOps.DotWhereNotPositive(xs, gs);
            }
        }

        return dx;
    }

    /// <summary>The channels (the first per-sample dimension) and the values each holds per sample.</summary>
    private (int Channels, int Inner) Planes(Tensor input)
    {
        var channels = InputShape[0];
        return (channels, input.RowSize / channels);
    }
}
