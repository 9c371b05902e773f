using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Segmentation;

/// <summary>A segmentation network's outputs [K, H, W] as columns: per-pixel probabilities and the predicted mask.</summary>
internal static class SegmentationScores
{
    /// <summary>The softmax over the K classes at each pixel of logits [K, H, W] (channel-major), stable for any finite logit.</summary>
    public static void PixelSoftmax(ReadOnlySpan<float> logits, Span<float> outputs, int classes)
    {
        var pixels = logits.Length / classes;
        for (var p = 0; p < pixels; p++)
        {
            var max = logits[p];
            for (var k = 1; k < classes; k++)
            {
                max = MathF.Max(max, logits[(k * pixels) + p]);
            }

            var sum = 0f;
            for (var k = 0; k < classes; k++)
            {
                var e = MathF.Exp(logits[(k * pixels) + p] - max);
                outputs[(k * pixels) + p] = e;
                sum += e;
            }

            var scale = 1f / sum;
            for (var k = 0; k < classes; k++)
            {
                outputs[(k * pixels) + p] *= scale;
            }
        }
    }

    /// <summary>
    /// A getter of the predicted mask: the arg-max class at each pixel, as a key (1..K) or a class index (0..K−1); a row
    /// without a score (NaN probabilities) gets the missing key 0 or <see cref="SegmentationOutput.NoClass"/> at every pixel.
    /// </summary>
    public static ValueGetter<VBuffer<uint>> MaskGetter(SegmentationOutput output, Internal.IScoreSource source) => (ref VBuffer<uint> dst) =>
    {
        var scores = source.Current();
        var pixels = output.Pixels;
        var editor = VBufferEditor.Create(ref dst, pixels);
        var labels = editor.Values;
        var offset = output.KeyMask ? 1u : 0u;
        if (float.IsNaN(scores[0]))
        {
            labels.Fill(output.KeyMask ? 0u : SegmentationOutput.NoClass);
        }
        else
        {
            for (var p = 0; p < pixels; p++)
            {
                var best = 0;
                var bestScore = scores[p];
                for (var k = 1; k < output.Classes; k++)
                {
                    if (scores[(k * pixels) + p] > bestScore)
                    {
                        (best, bestScore) = (k, scores[(k * pixels) + p]);
                    }
                }

                labels[p] = (uint)best + offset;
            }
        }

        dst = editor.Commit();
    };
}
