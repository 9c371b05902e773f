using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Optimizers;

/// <summary>
/// RMSprop, seed 000 §1.9.5 algorithm 1.5 and seed 001: <c>S_dw := β·S_dw + (1 − β)·dw²</c>,
/// <c>w := w − α·dw / (√S_dw + ε)</c>, with <c>S_dw</c> initialised to 0. Directions with large gradients
/// are divided by a large root mean square and slowed down; directions with small gradients are sped up.
/// </summary>
/// <remarks>
/// ε is added OUTSIDE the square root, as in seed 001, Hinton's lecture, Kingma &amp; Ba and PyTorch
/// (seed 000 writes <c>√(S_dw + ε)</c>; the two differ only while S is of the order of ε). No bias correction,
/// as in the seeds and PyTorch. The state array is named <c>square_avg</c>, as in PyTorch, whose
/// <c>RMSprop(alpha=β)</c> this matches (PyTorch's default β is 0.99; the seed's, used here, is 0.9).
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private float _beta;
    private float _oneMinusBeta;
    private float _epsilon;

    /// <summary>Creates an RMSprop optimizer.</summary>
    /// <param name="learningRate">The learning rate α.</param>
    /// <param name="beta">The decay rate β of the squared-gradient average, in [0, 1); 0.9 by default.</param>
    /// <param name="epsilon">ε, added to the root mean square to avoid dividing by zero; 1e-8 by default.</param>
    public RmsProp(float learningRate, float beta = 0.9f, float epsilon = 1e-8f)
        : base(learningRate, "square_avg")
    {
        Beta = beta;
        Epsilon = epsilon;
    }

    /// <summary>The decay rate β of the squared-gradient average, in [0, 1).</summary>
    public float Beta
    {
        get => _beta;
        set
        {
            CheckBeta(value, nameof(Beta));
            _beta = value;
            _oneMinusBeta = (float)(1 - DecimalValue(value));
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
        var beta = _beta;
        var c = _oneMinusBeta;
        var eps = _epsilon;
        var square = state[0].AsSpan(offset, value.Length);
        var n = value.Length;
        ref var w = ref MemoryMarshal.GetReference(value);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        ref var s = ref MemoryMarshal.GetReference(square);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vb = new Vector<float>(beta);
            var vc = new Vector<float>(c);
            var ve = new Vector<float>(eps);
            var va = new Vector<float>(learningRate);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, o);
                var sq = (vb * Vector.LoadUnsafe(ref s, o)) + (vc * (grad * grad));
                sq.StoreUnsafe(ref s, o);
                (Vector.LoadUnsafe(ref w, o) - (va * (grad / (Vector.SquareRoot(sq) + ve)))).StoreUnsafe(ref w, o);
            }
        }

        for (; i < n; i++)
        {
            var grad = gradient[i];
            var sq = (beta * square[i]) + (c * (grad * grad));
            square[i] = sq;
            value[i] -= learningRate * (grad / (MathF.Sqrt(sq) + eps));
        }
    }
}
