using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Optimizers;

/// <summary>
/// Gradient descent with momentum, seed 000 §1.9.4 algorithm 1.4 (and seed 001, "动量梯度下降"):
/// <c>V_dw := β·V_dw + (1 − β)·dw</c>, <c>w := w − α·V_dw</c>, with <c>V_dw</c> initialised to 0.
/// The velocity averages the gradients over about 1/(1 − β) steps, damping the oscillating directions and
/// accelerating the consistent ones; β is usually 0.9.
/// </summary>
/// <remarks>
/// <see cref="Form"/> chooses between the seed's exponentially weighted average (the default) and the
/// classical form <c>v := β·v + dw</c> of PyTorch's <c>SGD(momentum=β)</c>. The state array is named
/// <c>momentum_buffer</c>, as in PyTorch.
/// </remarks>
public sealed class Momentum : Optimizer
{
    private float _beta;
    private float _oneMinusBeta;

    /// <summary>Creates a momentum optimizer.</summary>
    /// <param name="learningRate">The learning rate α.</param>
    /// <param name="beta">The momentum β, in [0, 1); 0.9 by default.</param>
    public Momentum(float learningRate, float beta = 0.9f)
        : base(learningRate, "momentum_buffer")
    {
        Beta = beta;
    }

    /// <summary>The momentum β, in [0, 1).</summary>
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

    /// <summary>The velocity update; <see cref="MomentumForm.ExponentialAverage"/> (seed 000) by default.</summary>
    public MomentumForm Form { get; set; } = MomentumForm.ExponentialAverage;

    /// <inheritdoc />
    protected override bool UpdatesEachValueAlone => true;

    /// <inheritdoc />
    protected override void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step)
    {
        var beta = _beta;

        // v = a·v + c·g; w -= α·v, with c = 1 − β (exponential average) or 1 (classical).
        var c = Form == MomentumForm.Classical ? 1f : _oneMinusBeta;
        var velocity = state[0].AsSpan(offset, value.Length);
        var n = value.Length;
        ref var w = ref MemoryMarshal.GetReference(value);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        ref var v = ref MemoryMarshal.GetReference(velocity);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vb = new Vector<float>(beta);
            var vc = new Vector<float>(c);
            var va = new Vector<float>(learningRate);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = (nuint)i;
                var vel = (vb * Vector.LoadUnsafe(ref v, o)) + (vc * Vector.LoadUnsafe(ref g, o));
                vel.StoreUnsafe(ref v, o);
                (Vector.LoadUnsafe(ref w, o) - (va * vel)).StoreUnsafe(ref w, o);
            }
        }

        for (; i < n; i++)
        {
            var vel = (beta * velocity[i]) + (c * gradient[i]);
            velocity[i] = vel;
            value[i] -= learningRate * vel;
        }
    }
}
