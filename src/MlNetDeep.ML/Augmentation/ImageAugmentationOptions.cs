using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>
/// What every MlNetDeep image step in an ML.NET pipeline shares: the columns, the image shape of a flat column and the
/// randomness. Steps are random only while an MlNetDeep trainer trains (fresh draws every epoch, reproducible from the
/// trainer's seed, the epoch and the row); everywhere else (Transform, PredictionEngine, evaluation, a loaded model)
/// random steps are the identity and a random crop is the centre crop — unless <see cref="AlwaysRandom"/> is set.
/// </summary>
public abstract class ImageAugmentationOptions
{
    /// <summary>The column the step writes: a <c>Vector&lt;Single, C, H, W&gt;</c>.</summary>
    public string OutputColumnName = "Features";

    /// <summary>The column the step reads; the output column when null.</summary>
    public string? InputColumnName;

    /// <summary>
    /// The image shape <c>[C, H, W]</c> of the input column when its type does not carry it (a flat vector); by default
    /// it comes from the column type (<c>ExtractPixels</c> gives <c>Vector&lt;Single, C, H, W&gt;</c>; a
    /// <c>Vector&lt;Single, H, W&gt;</c> is one channel). A flat vector without it is an error when the step is fitted,
    /// since its shape cannot be known (784 values may be 28×28 or 16×49); only NormalizeInput, which works per
    /// feature, takes a flat vector as it is.
    /// </summary>
    public int[]? ImageShape;

    /// <summary>Random also when scoring: for previews and offline augmentation, never for a model you deploy.</summary>
    public bool AlwaysRandom;

    /// <summary>The seed of the draws when <see cref="AlwaysRandom"/> is set (epoch 0, row = the row's id, its index for in-memory data); drawn from the MLContext when null.</summary>
    public int? Seed;

    /// <summary>
    /// False for a step that does not depend on the image geometry (per-feature normalisation), which may then read a
    /// flat vector without <see cref="ImageShape"/>; every other step needs the shape and rejects a flat vector.
    /// </summary>
    internal virtual bool NeedsImageShape => true;

    /// <summary>Creates the step; <paramref name="readImages"/> reads the training images for a step that fits statistics.</summary>
    internal abstract ImageAugmentation CreateStep(Func<Tensor> readImages);
}
