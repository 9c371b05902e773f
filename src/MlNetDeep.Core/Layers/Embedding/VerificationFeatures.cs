namespace MlNetDeep.Layers.Embedding;

/// <summary>The per-coordinate features of a pair of encodings that <see cref="VerificationHead"/> weighs (seed 001, course 4 week 4, "面部验证与二分类").</summary>
public enum VerificationFeatures
{
    /// <summary>|f_k(x1) − f_k(x2)|.</summary>
    AbsoluteDifference,

    /// <summary>
    /// The χ² form (f_k(x1) − f_k(x2))² / (f_k(x1) + f_k(x2)), with the denominator taken as |f_k(x1)| + |f_k(x2)| + 1e-6:
    /// the same value for non-negative encodings (DeepFace's), and finite for any.
    /// </summary>
    ChiSquared,
}
