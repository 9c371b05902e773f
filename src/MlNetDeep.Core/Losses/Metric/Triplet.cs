namespace MlNetDeep.Losses.Metric;

/// <summary>One triplet of mini-batch rows: anchor A, positive P (A's identity) and negative N (another identity).</summary>
/// <param name="Anchor">The anchor row.</param>
/// <param name="Positive">The positive row.</param>
/// <param name="Negative">The negative row.</param>
public readonly record struct Triplet(int Anchor, int Positive, int Negative);
