using Microsoft.ML.Runtime;

namespace MlNetDeep.ML;

/// <summary>
/// Trains a semantic segmentation network (seed 004 §5: FCN, U-Net, DeepLab, PSPNet): image features [C, H, W] and a
/// mask column of H·W per-pixel labels in, a <c>PredictedMask</c> column (H·W labels, as keys when the mask was a key
/// column, otherwise UInt32 class indices) and, with <see cref="Options.OutputScores"/>, a <c>Score</c> column of
/// per-pixel class probabilities [K, H, W] out. The loss is the per-pixel softmax cross-entropy (class weights, unlabelled
/// pixels left out). Create it with <c>mlContext.MulticlassClassification.Trainers.SemanticSegmentation(...)</c> and score
/// it with <c>mlContext.MulticlassClassification.EvaluateSegmentation(...)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The mask column is a vector of keys (1..K; the missing key 0 marks an unlabelled pixel), of UInt32 or of Single class
/// indices (0..K−1, with <see cref="Options.NumberOfClasses"/> and optionally <see cref="Options.IgnoreLabel"/>), row-major,
/// H·W values a row for images of H×W (the source images when MlNetDeep image steps come before the trainer). A mask of
/// another size or with a label out of range stops Fit with an <see cref="InvalidDataException"/> naming the row, the
/// column, the expected and the actual value.
/// </para>
/// <para>
/// MlNetDeep's geometric image steps (crop, mirror, translation, scaling, rotation) move each row's mask with its pixels
/// while training, with the same random draws; pixels that come from outside the image are not scored. The predicted mask
/// has the size of the images the network reads (after a centre crop, the crop's).
/// </para>
/// <para>
/// Without <see cref="NeuralNetworkOptions.Network"/> the network is a U-Net
/// (<see cref="Models.SegmentationArchitectures.UNet"/>) of depth 3 (fewer when H and W are not multiples of 8) and
/// 16 filters. A network given through <see cref="NeuralNetworkOptions.Network"/> receives the feature shape and K and
/// must output [K, H, W] for the images it reads. The pixel cache (<see cref="NeuralNetworkOptions.WorkspacePath"/>) keeps
/// scalar labels only and refuses masks.
/// </para>
/// </remarks>
public sealed class NeuralNetworkSegmentationTrainer : NeuralNetworkTrainerBase
{
    internal NeuralNetworkSegmentationTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.Segmentation)
    {
    }

    /// <summary>The options of <see cref="NeuralNetworkSegmentationTrainer"/>; <see cref="NeuralNetworkOptions.LabelColumnName"/> is the mask column.</summary>
    public sealed class Options : NeuralNetworkOptions
    {
        /// <summary>Creates the options with the segmentation recipe's defaults (batch 16, Adam 3e-3).</summary>
        public Options()
        {
            BatchSize = 16;
            LearningRate = 3e-3f;
        }

        /// <summary>K, for a mask of UInt32 or Single class indices; a key mask's key count is K (then leave this null or equal).</summary>
        public int? NumberOfClasses;

        /// <summary>The label of unlabelled pixels in a UInt32 or Single mask (such as 255), which neither train nor count; a key mask uses the missing key 0.</summary>
        public uint? IgnoreLabel;

        /// <summary>A weight ≥ 0 per class for the per-pixel cross-entropy (for rare classes), or null for 1 each.</summary>
        public float[]? ClassWeights;

        /// <summary>The output column of predicted masks.</summary>
        public string PredictedMaskColumnName = "PredictedMask";

        /// <summary>Also add <see cref="NeuralNetworkOptions.ScoreColumnName"/>: per-pixel class probabilities [K, H, W] (K times the mask's size).</summary>
        public bool OutputScores;
    }
}
