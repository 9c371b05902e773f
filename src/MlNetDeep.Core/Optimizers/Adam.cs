using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Optimizers;

/// <summary>
/// Adam (adaptive moment estimation), seed 000 §1.9.6 algorithm 1.6 and seed 001: momentum and RMSprop
/// combined, with bias correction (seed 000 eq. 62). On iteration t:
/// <c>V_dw := β1·V_dw + (1 − β1)·dw</c>, <c>S_dw := β2·S_dw + (1 − β2)·dw²</c>,
/// <c>V^corr = V_dw / (1 − β1^t)</c>, <c>S^corr = S_dw / (1 − β2^t)</c>,
/// <c>w := w − α·V^corr / (√S^corr + ε)</c>, with V and S initialised to 0 and t starting at 1.
/// </summary>
/// <remarks>
/// ε is added OUTSIDE the square root, as in seed 001, Kingma &amp; Ba (2015) and PyTorch (seed 000 writes
/// <c>√(S^corr + ε)</c>). It is computed as PyTorch does: <c>w −= (α/(1 − β1^t))·V / (√S/√(1 − β2^t) + ε)</c>.
/// 1 − β1, 1 − β2 and the bias corrections are computed in double from the decimal values of β1 and β2
/// (see <see cref="Optimizer.DecimalValue"/>), as PyTorch does. Defaults are the seed's: α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8. The state arrays are named
/// <c>exp_avg</c> (V) and <c>exp_avg_sq</c> (S), as in PyTorch; they hold the uncorrected averages.
/// </remarks>
public sealed class Adam : Optimizer
{
    private float _beta1;
    private float _beta2;
    private double _beta1Decimal;
    private double _beta2Decimal;
    private float _epsilon;

    /// <summary>Creates an Adam optimizer.</summary>
    /// <param name="learningRate">The learning rate α; 0.001 by default.</param>
    /// <param name="beta1">The decay rate β1 of the gradient average (momentum), in [0, 1); 0.9 by default.</param>
    /// <param name="beta2">The decay rate β2 of the squared-gradient average (RMSprop), in [0, 1); 0.999 by default.</param>
    /// <param name="epsilon">ε, added to the root mean square to avoid dividing by zero; 1e-8 by default.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        : base(learningRate, "exp_avg", "exp_avg_sq")
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The decay rate β1 of the first moment (gradient average), in [0, 1).</summary>
    public float Beta1
    {
        get => _beta1;
        set
        {
            CheckBeta(value, nameof(Beta1));
            _beta1 = value;
            _beta1Decimal = DecimalValue(value);
        }
    }

    /// <summary>The decay rate β2 of the second moment (squared-gradient average), in [0, 1).</summary>
    public float Beta2
    {
        get => _beta2;
        set
        {
            CheckBeta(value, nameof(Beta2));
            _beta2 = value;
            _beta2Decimal = DecimalValue(value);
        }
    }

    /// <summary>ε, added outside the square root; finite and positive.</summary>
    public float Epsilon
    {
        get => _epsilon;
        set
        {
            CheckEpsilon(value, nameof(Epsilon));
            _epsilon = value;
        }
    }

    /// <inheritdoc />
    protected override bool UpdatesEachValueAlone => true;

    /// <inheritdoc />
    protected override void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step)
    {
        var b1 = _beta1;
        var b2 = _beta2;
        var c1 = (float)(1 - _beta1Decimal);
        var c2 = (float)(1 - _beta2Decimal);
        var eps = _epsilon;

        // Bias corrections 1 − β^t, in double as PyTorch does (β^t underflows gracefully to 0 for large t).
        var stepSize = (float)(learningRate / (1.0 - Math.Pow(_beta1Decimal, step)));
        var sqrtCorrection2 = (float)Math.Sqrt(1.0 - Math.Pow(_beta2Decimal, step));

        var m = state[0].AsSpan(offset, value.Length);
        var s = state[1].AsSpan(offset, value.Length);
        var n = value.Length;
        ref var w = ref MemoryMarshal.GetReference(value);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        ref var rm = ref MemoryMarshal.GetReference(m);
        ref var rs = ref MemoryMarshal.GetReference(s);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vb1 = new Vector<float>(b1);
            var vb2 = new Vector<float>(b2);
            var vc1 = new Vector<float>(c1);
            var vc2 = new Vector<float>(c2);
            var ve = new Vector<float>(eps);
            var vstep = new Vector<float>(stepSize);
            var vcorr = new Vector<float>(sqrtCorrection2);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, o);
                var mean = (vb1 * Vector.LoadUnsafe(ref rm, o)) + (vc1 * grad);
                var sq = (vb2 * Vector.LoadUnsafe(ref rs, o)) + (vc2 * (grad * grad));
                mean.StoreUnsafe(ref rm, o);
                sq.StoreUnsafe(ref rs, o);
                var denominator = (Vector.SquareRoot(sq) / vcorr) + ve;
                (Vector.LoadUnsafe(ref w, o) - (vstep * (mean / denominator))).StoreUnsafe(ref w, o);
            }
        }

        for (; i < n; i++)
        {
            var grad = gradient[i];
            var mean = (b1 * m[i]) + (c1 * grad);
            var sq = (b2 * s[i]) + (c2 * (grad * grad));
            m[i] = mean;
            s[i] = sq;
            var denominator = (MathF.Sqrt(sq) / sqrtCorrection2) + eps;
            value[i] -= stepSize * (mean / denominator);
        }
    }
}
