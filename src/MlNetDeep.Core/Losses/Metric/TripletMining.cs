namespace MlNetDeep.Losses.Metric;

/// <summary>
/// Which triplets (A, P, N) of a mini-batch <see cref="TripletLoss"/> trains on. The seed asks for hard triplets ("训练时使用
/// 难识别的图像", FaceNet): with a mini-batch of P identities × K examples (<see cref="Training.PkBatchSampler"/>) every row is an
/// anchor and the triplets are mined online from the batch's own encodings.
/// </summary>
public enum TripletMining
{
    /// <summary>
    /// The rows come as fixed triplets: rows 3i, 3i+1, 3i+2 are A, P and N (the seed's J = Σ_i l(A⁽ⁱ⁾, P⁽ⁱ⁾, N⁽ⁱ⁾), averaged).
    /// The labels are not read.
    /// </summary>
    Triplets,

    /// <summary>Every valid triplet of the batch (A ≠ P of one identity, N of another), averaged over all of them (Hermans et al. 2017, "batch all").</summary>
    BatchAll,

    /// <summary>For each anchor, its farthest positive and its nearest negative (Hermans et al. 2017, "batch hard"); averaged over the anchors.</summary>
    BatchHard,

    /// <summary>
    /// For each positive pair (A, P), the nearest negative farther than P, ‖f(A) − f(N)‖² &gt; ‖f(A) − f(P)‖² (FaceNet's
    /// semi-hard negatives); when no negative is farther, the farthest negative (as TensorFlow Addons' <c>triplet_semihard_loss</c>).
    /// Averaged over the positive pairs.
    /// </summary>
    SemiHard,
}
