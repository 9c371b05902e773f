using MlNetDeep.Initializers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.LeNet;

/// <summary>
/// LeNet-5's Euclidean radial-basis output layer (seed 000 §2.3, OUTPUT): unit i measures the squared distance
/// y_i = Σ_j (x_j − w_ij)² between the F6 activations and its prototype w_i, 84·10 = 840 parameters and no bias.
/// Here the layer outputs −y_i, so that the nearest prototype has the largest output and the layer can feed
/// softmax cross-entropy like any logits (LeCun trained the penalties with a different, MAP criterion).
/// </summary>
public sealed class RbfOutput : Layer
{
    private readonly Initializer _initializer;
    private Parameter? _prototypes;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;

    /// <summary>Creates the layer.</summary>
    /// <param name="units">The number of prototypes (classes).</param>
    /// <param name="initializer">Prototype initialisation; U(±1/√fan-in) by default (LeCun used ±1 bitmaps).</param>
    public RbfOutput(int units, Initializer? initializer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        Units = units;
        _initializer = initializer ?? new FanInUniform();
    }

    /// <summary>The number of prototypes.</summary>
    public int Units { get; }

    /// <summary>The prototypes w, [units, inputs].</summary>
    public Parameter Prototypes => _prototypes ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Prototypes];

    /// <inheritdoc />
    public override LayerDescription Describe() => new("RbfOutput", Name, new Dictionary<string, string> { ["units"] = LayerDescription.ToSetting(Units) });

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var inputs = Tensor.ProductOf(inputShape);
        _prototypes = new Parameter("prototypes", false, Units, inputs);
        _initializer.Fill(_prototypes.Value.Span, inputs, Units, random);
        return [Units];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, [Units]);
        var width = input.RowSize;
        for (var n = 0; n < input.Rows; n++)
        {
            var x = input.Row(n);
            for (var i = 0; i < Units; i++)
            {
                var d = System.Numerics.Tensors.TensorPrimitives.Distance(x, Prototypes.Value.Data.AsSpan(i * width, width));
                y[n, i] = -(d * d);
            }
        }

        _input = input;
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var dx = Tensor.Ensure(ref _inputGradient, input.Rows, InputShape);
        dx.Clear();
        var width = input.RowSize;
        var w = Prototypes.Value.Data;
        var dw = Prototypes.Gradient.Data;
        for (var n = 0; n < input.Rows; n++)
        {
            var x = input.Row(n);
            var dxRow = dx.Row(n);
            for (var i = 0; i < Units; i++)
            {
                // ∂(−Σ(x−w)²)/∂x = −2(x − w), and +2(x − w) for w.
                var g = outputGradient[n, i] * 2f;
                for (var j = 0; j < width; j++)
                {
                    var diff = x[j] - w[(i * width) + j];
                    dxRow[j] -= g * diff;
                    dw[(i * width) + j] += g * diff;
                }
            }
        }

        return dx;
    }
}
