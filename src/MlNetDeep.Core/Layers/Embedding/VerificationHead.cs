using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Embedding;

/// <summary>
/// Face verification as binary classification (seed 001, course 4 week 4, "面部验证与二分类"): the input row is a pair of
/// encodings, f(x1) then f(x2) (the first and second half of the row), and the output is one logit
/// ŷ = Σ_k w_k·φ_k + b over the per-coordinate features φ_k of <see cref="Features"/> (|f_k(x1) − f_k(x2)|, or the χ² form).
/// Train it with <see cref="Losses.BinaryCrossEntropy"/> on targets 1 (same identity) and 0 (different).
/// </summary>
public sealed class VerificationHead : Layer
{
    private const float ChiSquaredFloor = 1e-6f;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _features;

    /// <summary>Creates the head.</summary>
    /// <param name="features">The per-coordinate features of the pair.</param>
    public VerificationHead(VerificationFeatures features = VerificationFeatures.AbsoluteDifference)
    {
        if (!Enum.IsDefined(features))
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "Unknown verification features.");
        }

        Features = features;
    }

    /// <summary>The per-coordinate features weighed.</summary>
    public VerificationFeatures Features { get; }

    /// <summary>d, the length of each encoding (half the input row).</summary>
    public int Dimension => Tensor.ProductOf(InputShape) / 2;

    /// <summary>The weights w, [1, d].</summary>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The bias b, [1].</summary>
    public Parameter Bias => _bias ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _weight is null ? [] : [_weight, _bias!];

    /// <inheritdoc />
    public override LayerDescription Describe() => new("VerificationHead", Name, [new("features", Features.ToString())]);

    /// <summary>The features φ of one pair, for <paramref name="a"/> = f(x1) and <paramref name="b"/> = f(x2).</summary>
    public static void ComputeFeatures(VerificationFeatures features, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> phi)
    {
        for (var k = 0; k < phi.Length; k++)
        {
            var u = a[k] - b[k];
            phi[k] = features == VerificationFeatures.AbsoluteDifference
                ? MathF.Abs(u)
                : u * u / (MathF.Abs(a[k]) + MathF.Abs(b[k]) + ChiSquaredFloor);
        }
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var length = Tensor.ProductOf(inputShape);
        if (length < 2 || length % 2 != 0)
        {
            throw new ArgumentException(
                $"Layer '{Name}' takes a pair of encodings, f(x1) then f(x2), in one row of even length; got a row of shape {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        var d = length / 2;
        _weight = new Parameter("weight", true, 1, d);

        // Larger differences should mean "different": start from weights that say so, then learn (as logistic regression would from zero).
        _weight.Value.Fill(-1f / d);
        _bias = new Parameter("bias", false, 1);
        _bias.Value[0] = 1f;
        return [1];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var n = input.Rows;
        var d = Dimension;
        var y = Tensor.Ensure(ref _output, n, [1]);
        var phi = Tensor.Ensure(ref _features, n, [d]);
        _input = input;
        var w = Weight.Value.Span;
        for (var r = 0; r < n; r++)
        {
            var row = input.Data.AsSpan(r * 2 * d, 2 * d);
            var p = phi.Row(r);
            ComputeFeatures(Features, row[..d], row[d..], p);
            y[r] = System.Numerics.Tensors.TensorPrimitives.Dot(w, p) + Bias.Value[0];
        }

        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var n = x.Rows;
        var d = Dimension;
        if (outputGradient.Length != n)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected [{n}, 1].", nameof(outputGradient));
        }

        var w = Weight.Value.Span;
        var dw = Weight.Gradient.Span;
        var dx = Tensor.Ensure(ref _inputGradient, n, InputShape);
        for (var r = 0; r < n; r++)
        {
            var g = outputGradient[r];
            var p = _features!.Row(r);
            if (!Weight.Frozen)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p, g, dw, dw);
            }

            if (!Bias.Frozen)
            {
                Bias.Gradient[0] += g;
            }

            if (!ComputeInputGradient)
            {
                continue;
            }

            var row = x.Data.AsSpan(r * 2 * d, 2 * d);
            var dr = dx.Data.AsSpan(r * 2 * d, 2 * d);
            for (var k = 0; k < d; k++)
            {
                float a = row[k], b = row[d + k];
                var u = a - b;
                float da, db;
                if (Features == VerificationFeatures.AbsoluteDifference)
                {
                    da = MathF.Sign(u);
                    db = -da;
                }
                else
                {
                    // φ = u²/s with s = |a| + |b| + ε: ∂φ/∂a = 2u/s − (u²/s²)·sign(a), ∂φ/∂b = −2u/s − (u²/s²)·sign(b).
                    var s = MathF.Abs(a) + MathF.Abs(b) + ChiSquaredFloor;
                    var q = u * u / (s * s);
                    da = (2 * u / s) - (q * MathF.Sign(a));
                    db = (-2 * u / s) - (q * MathF.Sign(b));
                }

                dr[k] = g * w[k] * da;
                dr[d + k] = g * w[k] * db;
            }
        }

        return dx;
    }
}
