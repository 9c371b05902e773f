namespace MlNetDeep.Optimizers;

/// <summary>How <see cref="Momentum"/> accumulates the velocity.</summary>
public enum MomentumForm
{
    /// <summary>
    /// Seed 000 algorithm 1.4: the velocity is an exponentially weighted average of the gradients,
    /// <c>v := β·v + (1 − β)·dw</c>, <c>w := w − α·v</c>. No bias correction (the seed notes that after about
    /// ten steps the average no longer depends on its zero start).
    /// </summary>
    ExponentialAverage,

    /// <summary>
    /// The classical (heavy-ball) form used by PyTorch's <c>SGD(momentum=β)</c> with no dampening:
    /// <c>v := β·v + dw</c>, <c>w := w − α·v</c>. Its steps are 1/(1 − β) times larger than the exponential
    /// average's for the same α (10× for β = 0.9), so α must be scaled down accordingly.
    /// </summary>
    Classical,
}
