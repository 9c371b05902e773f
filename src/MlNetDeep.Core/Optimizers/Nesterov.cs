using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Optimizers;

/// <summary>
/// Nesterov accelerated gradient, in PyTorch's formulation (<c>SGD(momentum=μ, nesterov=True)</c>):
/// <c>v := μ·v + g</c>, <c>w := w − α·(g + μ·v)</c>, with v initialised to 0 and g the gradient at w.
/// </summary>
/// <remarks>
/// <para>
/// Seed 004 §3.2.2 writes Nesterov momentum as <c>ν_{t+1} = γ·ν_t − η·∇L(θ_t)</c>, <c>θ_{t+1} = θ_t + ν_{t+1}</c>,
/// γ usually 0.9. Nesterov's (Sutskever et al.'s) method evaluates that gradient at the look-ahead point
/// <c>θ_t + γ·ν_t</c> rather than at θ_t (with the gradient at θ_t, as literally written, it is classical
/// momentum). Substituting <c>w_t = θ_t + γ·ν_t</c> (the look-ahead point, which is what we store) and
/// <c>v_t = −ν_t/η</c> turns the look-ahead form into exactly the update above, which needs the gradient only
/// at the stored weights: <c>w_{t+1} = θ_{t+1} + γ·ν_{t+1} = w_t − γ·ν_t + (1 + γ)·ν_{t+1}
/// = w_t + γ·ν_{t+1} − η·∇L(w_t) = w_t − η·(g + γ·v_{t+1})</c>. The two sequences coincide (w is θ shifted
/// by γ·ν) and converge to the same minimum.
/// </para>
/// <para>The state array is named <c>momentum_buffer</c>, as in PyTorch.</para>
/// </remarks>
public sealed class Nesterov : Optimizer
{
    private float _momentum;

    /// <summary>Creates a Nesterov optimizer.</summary>
    /// <param name="learningRate">The learning rate α (η in seed 004).</param>
    /// <param name="momentum">The momentum μ (γ in seed 004), in [0, 1); 0.9 by default.</param>
    public Nesterov(float learningRate, float momentum = 0.9f)
        : base(learningRate, "momentum_buffer")
    {
        Momentum = momentum;
    }

    /// <summary>The momentum μ, in [0, 1).</summary>
    public float Momentum
    {
        get => _momentum;
        set
        {
            CheckBeta(value, nameof(Momentum));
            _momentum = value;
        }
    }

    /// <inheritdoc />
    protected override bool UpdatesEachValueAlone => true;

    /// <inheritdoc />
    protected override void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step)
    {
        var mu = _momentum;
        var velocity = state[0].AsSpan(offset, value.Length);
        var n = value.Length;
        ref var w = ref MemoryMarshal.GetReference(value);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        ref var v = ref MemoryMarshal.GetReference(velocity);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vmu = new Vector<float>(mu);
            var va = new Vector<float>(learningRate);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, o);
                var vel = (vmu * Vector.LoadUnsafe(ref v, o)) + grad;
                vel.StoreUnsafe(ref v, o);
                (Vector.LoadUnsafe(ref w, o) - (va * (grad + (vmu * vel)))).StoreUnsafe(ref w, o);
            }
        }

        for (; i < n; i++)
        {
            var grad = gradient[i];
            var vel = (mu * velocity[i]) + grad;
            velocity[i] = vel;
            value[i] -= learningRate * (grad + (mu * vel));
        }
    }
}
