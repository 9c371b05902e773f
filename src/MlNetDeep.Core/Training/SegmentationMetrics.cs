using System.Globalization;
using System.Text;

namespace MlNetDeep.Training;

/// <summary>
/// The confusion matrix over pixels of a segmentation, and the measures read from it: pixel accuracy, per-class
/// intersection over union (IoU = TP / (TP + FP + FN)), mean IoU, and the Dice coefficient (2·TP / (2·TP + FP + FN)).
/// Pixels whose true label is <see cref="IgnoreLabel"/> are not counted.
/// </summary>
/// <remarks>
/// Mean IoU and mean Dice average over the classes that occur (in the truth or the prediction); a class absent from
/// both has no IoU (NaN) and does not count, as in the PASCAL VOC and Cityscapes evaluations.
/// </remarks>
public sealed class SegmentationMetrics
{
    private readonly long[] _counts;

    /// <summary>Creates an empty matrix.</summary>
    /// <param name="classes">K, the number of classes.</param>
    /// <param name="ignoreLabel">The true label of pixels that are not counted.</param>
    public SegmentationMetrics(int classes, int ignoreLabel = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        IgnoreLabel = ignoreLabel;
        _counts = new long[classes * classes];
    }

    /// <summary>K, the number of classes.</summary>
    public int Classes { get; }

    /// <summary>The true label that is not counted.</summary>
    public int IgnoreLabel { get; }

    /// <summary>The pixels counted so far.</summary>
    public long Pixels { get; private set; }

    /// <summary>The pixels of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[(truth * Classes) + predicted];

    /// <summary>Correct pixels over all counted pixels.</summary>
    public double PixelAccuracy => Pixels == 0 ? double.NaN : (double)Enumerable.Range(0, Classes).Sum(c => this[c, c]) / Pixels;

    /// <summary>The IoU of each class (NaN for a class that occurs neither in the truth nor in the prediction).</summary>
    public IReadOnlyList<double> IoU => [.. Enumerable.Range(0, Classes).Select(c => Ratio(c, 1))];

    /// <summary>The Dice coefficient (F1 over pixels) of each class (NaN for a class that occurs nowhere).</summary>
    public IReadOnlyList<double> Dice => [.. Enumerable.Range(0, Classes).Select(c => Ratio(c, 2))];

    /// <summary>The mean of <see cref="IoU"/> over the classes that occur.</summary>
    public double MeanIoU => Mean(IoU);

    /// <summary>The mean of <see cref="Dice"/> over the classes that occur.</summary>
    public double MeanDice => Mean(Dice);

    /// <summary>Counts one image (or a batch) of labels.</summary>
    /// <param name="truth">The true labels, one per pixel.</param>
    /// <param name="predicted">The predicted labels, as many.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a label is outside 0..K−1 (and not the ignore label).</exception>
    public void Add(ReadOnlySpan<float> truth, ReadOnlySpan<int> predicted)
    {
        if (truth.Length != predicted.Length)
        {
            throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predicted ones.", nameof(predicted));
        }

        for (var p = 0; p < truth.Length; p++)
        {
            if (truth[p] == IgnoreLabel)
            {
                continue;
            }

            var t = (int)truth[p];
            if ((uint)t >= (uint)Classes || t != truth[p] || (uint)predicted[p] >= (uint)Classes)
            {
                throw new ArgumentException(
                    $"Pixel {p}: true label {truth[p]} and predicted label {predicted[p]}; both must be class indices in 0..{Classes - 1}.", nameof(truth));
            }

            _counts[(t * Classes) + predicted[p]]++;
            Pixels++;
        }
    }

    /// <summary>Counts a batch of per-pixel scores [N, K, H, W] against labels [N, H, W] (the predicted class is the arg-max).</summary>
    /// <param name="scores">The network output.</param>
    /// <param name="targets">The true labels.</param>
    public void Add(Tensor scores, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(targets);
        var pixels = targets.RowSize;
        if (scores.Rows != targets.Rows || scores.RowSize != pixels * Classes)
        {
            throw new ArgumentException(
                $"Scores of shape {Tensor.Format(scores.Shape)} do not hold {Classes} classes for each pixel of targets of shape {Tensor.Format(targets.Shape)}.", nameof(scores));
        }

        var labels = new int[pixels];
        for (var r = 0; r < scores.Rows; r++)
        {
            ArgMax(scores.Data.AsSpan(r * scores.RowSize, scores.RowSize), Classes, labels);
            Add(targets.Data.AsSpan(r * pixels, pixels), labels);
        }
    }

    /// <summary>The arg-max class of each pixel of one sample's scores [K, H·W] (the first class wins ties).</summary>
    /// <param name="scores">K planes of H·W scores.</param>
    /// <param name="classes">K.</param>
    /// <param name="labels">Receives H·W labels.</param>
    public static void ArgMax(ReadOnlySpan<float> scores, int classes, Span<int> labels)
    {
        var pixels = labels.Length;
        if (scores.Length != classes * pixels)
        {
            throw new ArgumentException($"{scores.Length} scores are not {classes} classes × {pixels} pixels.", nameof(scores));
        }

        labels.Clear();
        for (var c = 1; c < classes; c++)
        {
            var plane = scores.Slice(c * pixels, pixels);
            for (var p = 0; p < pixels; p++)
            {
                if (plane[p] > scores[(labels[p] * pixels) + p])
                {
                    labels[p] = c;
                }
            }
        }
    }

    /// <summary>A table of the per-class measures, then the means.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        var iou = IoU;
        var dice = Dice;
        s.AppendLine("class      IoU    Dice");
        for (var c = 0; c < Classes; c++)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"{c,5} {iou[c],8:F4} {dice[c],7:F4}");
        }

        s.Append(CultureInfo.InvariantCulture, $"mIoU {MeanIoU:F4} pixel accuracy {PixelAccuracy:F4} mean Dice {MeanDice:F4}");
        return s.ToString();
    }

    private double Ratio(int c, int weight)
    {
        long tp = this[c, c], fp = 0, fn = 0;
        for (var k = 0; k < Classes; k++)
        {
            if (k != c)
            {
                fp += this[k, c];
                fn += this[c, k];
            }
        }

        var denominator = (weight * tp) + fp + fn;
        return denominator == 0 ? double.NaN : (double)(weight * tp) / denominator;
    }

    private static double Mean(IReadOnlyList<double> values)
    {
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        return present.Length == 0 ? double.NaN : present.Average();
    }
}
