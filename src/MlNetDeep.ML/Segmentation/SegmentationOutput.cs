namespace MlNetDeep.ML.Segmentation;

/// <summary>
/// What a segmentation network's output columns look like: K classes scored at each of Height × Width pixels (the
/// network's output [K, Height, Width], the size of the images it reads), the predicted mask as keys (when the training
/// mask was a key column) or as UInt32 class indices, and whether the per-pixel scores get a column of their own.
/// </summary>
/// <param name="Classes">K.</param>
/// <param name="Height">The predicted mask's height.</param>
/// <param name="Width">The predicted mask's width.</param>
/// <param name="KeyMask">True: PredictedMask holds keys 1..K (0 for a row without a score); false: UInt32 class indices 0..K−1 (<see cref="NoClass"/> for a row without a score).</param>
/// <param name="Scores">Whether a Score column of per-pixel probabilities [K, Height, Width] is added.</param>
internal sealed record SegmentationOutput(int Classes, int Height, int Width, bool KeyMask, bool Scores)
{
    /// <summary>The UInt32 class index of a pixel of a row that has no score (a non-finite feature or output): not a class.</summary>
    public const uint NoClass = uint.MaxValue;

    /// <summary>H·W.</summary>
    public int Pixels => Height * Width;

    /// <summary>K·H·W, the network's outputs a row.</summary>
    public int Outputs => Classes * Pixels;
}
