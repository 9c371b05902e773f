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
        var inner = input.RowSize / InputShape[0];
        for (var i = 0; i < x.Length; i++)
        {
            var alpha = a[_shared ? 0 : (i / inner) % InputShape[0]];
            o[i] = x[i] > 0 ? x[i] : alpha * x[i];
        }

        _input = input;
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var dx = Tensor.Ensure(ref _inputGradient, input.Rows, InputShape);
        var x = input.Span;
        var g = outputGradient.Span;
        var d = dx.Span;
        var a = Slope.Value.Span;
        var da = Slope.Gradient.Span;
        var inner = input.RowSize / InputShape[0];
        for (var i = 0; i < x.Length; i++)
        {
            var c = _shared ? 0 : (i / inner) % InputShape[0];
            if (x[i] > 0)
            {
                d[i] = g[i];
            }
            else
            {
                d[i] = a[c] * g[i];
                da[c] += x[i] * g[i];
            }
        }

        return dx;
    }
}
