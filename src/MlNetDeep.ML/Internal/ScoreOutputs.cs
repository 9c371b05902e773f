using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML.Segmentation;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Turns a row's network outputs into the task's columns, the same for a row scored alone (PredictionEngine) and for a
/// row of a block (Transform), so the two agree bit for bit.
/// </summary>
internal static class ScoreOutputs
{
    /// <summary>
    /// The scored outputs of one row: softmax probabilities (multiclass) or the outputs as they are; all NaN when the
    /// row's features were not finite (<paramref name="logits"/> is then ignored) or the network's outputs are not.
    /// </summary>
    /// <remarks>For segmentation, <c>classes</c> is K: the outputs are [K, H, W] and each pixel gets its own softmax.</remarks>
    public static void Compute(NeuralNetworkTask task, bool finiteFeatures, ReadOnlySpan<float> logits, Span<float> outputs, int classes = 0)
    {
        if (!finiteFeatures || Tensor.IndexOfNonFinite(logits) >= 0)
        {
            // A NaN or ∞ feature has no score: a layer such as max pooling could drop it and return a confident answer.
            outputs.Fill(float.NaN);
        }
        else if (task == NeuralNetworkTask.MulticlassClassification)
        {
            Softmax.Compute(logits, outputs);
        }
        else if (task == NeuralNetworkTask.Segmentation)
        {
            SegmentationScores.PixelSoftmax(logits, outputs, classes);
        }
        else
        {
            logits.CopyTo(outputs);
        }
    }

    /// <summary>The predicted 1-based key: the argmax of the probabilities, or 0 (missing) when they are NaN.</summary>
    public static uint PredictedKey(ReadOnlySpan<float> outputs)
    {
        if (float.IsNaN(outputs[0]))
        {
            return 0;
        }

        var best = 0;
        for (var j = 1; j < outputs.Length; j++)
        {
            if (outputs[j] > outputs[best])
            {
                best = j;
            }
        }

        return (uint)best + 1;
    }

    /// <summary>σ(logit): in [0, 1] for any finite logit, NaN for a missing score.</summary>
    public static float Probability(float logit)
    {
        Span<float> p = stackalloc float[1];
        p[0] = logit;
        Sigmoid.Compute(p, p);
        return p[0];
    }

    /// <summary>A getter for the output column <paramref name="column"/> of <paramref name="task"/>, reading <paramref name="source"/>.</summary>
    /// <param name="task">The task.</param>
    /// <param name="column">The column's role.</param>
    /// <param name="source">The row's outputs.</param>
    /// <param name="detector">The detector that decodes a detection network's outputs.</param>
    /// <param name="segmentation">The output shape of a segmentation network (null for the other tasks).</param>
    public static Delegate Getter(NeuralNetworkTask task, string column, IScoreSource source, Vision.Detection.Detector? detector = null, SegmentationOutput? segmentation = null) => (task, column) switch
    {
        (NeuralNetworkTask.Detection, _) => Detection.DetectionOutputs.Getter(
            detector ?? throw new InvalidOperationException("A detection network scores only with its detector."), column, source),
        (NeuralNetworkTask.Segmentation, OutputColumns.PredictedLabel) => SegmentationScores.MaskGetter(segmentation!, source),
        (NeuralNetworkTask.MulticlassClassification or NeuralNetworkTask.Embedding or NeuralNetworkTask.Segmentation, OutputColumns.Score) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
        {
            var outputs = source.Current();
            var editor = VBufferEditor.Create(ref dst, outputs.Length);
            outputs.CopyTo(editor.Values);
            dst = editor.Commit();
        }),
        (NeuralNetworkTask.MulticlassClassification, OutputColumns.PredictedLabel) => (ValueGetter<uint>)((ref uint dst) =>
            dst = PredictedKey(source.Current())),

        // False for a NaN score, as ML.NET's binary scorers decide.
        (NeuralNetworkTask.BinaryClassification, OutputColumns.PredictedLabel) => (ValueGetter<bool>)((ref bool dst) =>
            dst = source.Current()[0] > 0),
        (NeuralNetworkTask.BinaryClassification, OutputColumns.Probability) => (ValueGetter<float>)((ref float dst) =>
            dst = Probability(source.Current()[0])),
        (_, OutputColumns.Score) => (ValueGetter<float>)((ref float dst) => dst = source.Current()[0]),
        _ => throw new InvalidOperationException($"No output column '{column}' for {task}."),
    };
}
