using System.Globalization;
using System.Text;

namespace MlNetDeep.Training;

/// <summary>
/// Accuracy, confusion matrix, and per-class, macro and weighted precision, recall and F1 of a classifier.
/// Precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R); a class never predicted has precision 0.
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(int[,] confusion, string[] classNames)
    {
        ConfusionMatrix = confusion;
        ClassNames = classNames;
        var k = classNames.Length;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        var support = new int[k];
        long total = 0, correct = 0;
        for (var c = 0; c < k; c++)
        {
            int tp = confusion[c, c], predicted = 0, actual = 0;
            for (var j = 0; j < k; j++)
            {
                predicted += confusion[j, c];
                actual += confusion[c, j];
            }

            support[c] = actual;
            total += actual;
            correct += tp;
            precision[c] = predicted == 0 ? 0 : (double)tp / predicted;
            recall[c] = actual == 0 ? 0 : (double)tp / actual;
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }

        Precision = precision;
        Recall = recall;
        F1 = f1;
        Support = support;

        Accuracy = total == 0 ? 0 : (double)correct / total;
        MacroPrecision = Precision.Average();
        MacroRecall = Recall.Average();
        MacroF1 = F1.Average();
        WeightedF1 = total == 0 ? 0 : Enumerable.Range(0, k).Sum(c => F1[c] * Support[c]) / total;
    }

    /// <summary>Rows are the true classes, columns the predicted ones.</summary>
    public int[,] ConfusionMatrix { get; }

    /// <summary>The class names, in index order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The fraction classified correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Per-class precision.</summary>
    public IReadOnlyList<double> Precision { get; }

    /// <summary>Per-class recall.</summary>
    public IReadOnlyList<double> Recall { get; }

    /// <summary>Per-class F1.</summary>
    public IReadOnlyList<double> F1 { get; }

    /// <summary>Per-class number of true samples.</summary>
    public IReadOnlyList<int> Support { get; }

    /// <summary>The unweighted mean of the per-class precisions.</summary>
    public double MacroPrecision { get; }

    /// <summary>The unweighted mean of the per-class recalls.</summary>
    public double MacroRecall { get; }

    /// <summary>The unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; }

    /// <summary>The support-weighted mean of the per-class F1 scores.</summary>
    public double WeightedF1 { get; }

    /// <summary>Builds the report from true and predicted class indices.</summary>
    /// <param name="truth">True classes, 0..K−1.</param>
    /// <param name="predicted">Predicted classes, 0..K−1, one per true class.</param>
    /// <param name="classNames">The K class names.</param>
    public static ClassificationReport Compute(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (truth.Length != predicted.Length)
        {
            throw new ArgumentException($"There are {truth.Length} true labels but {predicted.Length} predictions.");
        }

        var k = classNames.Count;
        var confusion = new int[k, k];
        for (var i = 0; i < truth.Length; i++)
        {
            if ((uint)truth[i] >= (uint)k || (uint)predicted[i] >= (uint)k)
            {
                throw new ArgumentOutOfRangeException(nameof(truth),
                    $"Row {i}: true class {truth[i]} or predicted class {predicted[i]} is outside 0..{k - 1}{(predicted[i] == -1 ? " (−1: Inference.PredictClasses found NaN or infinite outputs for that row)" : string.Empty)}.");
            }

            confusion[truth[i], predicted[i]]++;
        }

        return new ClassificationReport(confusion, [.. classNames]);
    }

    /// <summary>A plain-text table: per-class precision, recall, F1 and support, then the confusion matrix.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var w = Math.Max(8, ClassNames.Max(n => n.Length) + 1);
        sb.Append(ci, $"{"class".PadRight(w)} precision  recall      f1  support\n");
        for (var c = 0; c < ClassNames.Count; c++)
        {
            sb.Append(ci, $"{ClassNames[c].PadRight(w)} {Precision[c],9:F4} {Recall[c],7:F4} {F1[c],7:F4} {Support[c],8}\n");
        }

        sb.Append(ci, $"{"macro".PadRight(w)} {MacroPrecision,9:F4} {MacroRecall,7:F4} {MacroF1,7:F4} {Support.Sum(),8}\n");
        sb.Append(ci, $"accuracy {Accuracy:F4}, weighted F1 {WeightedF1:F4}\n\nconfusion (rows: true, columns: predicted)\n");
        sb.Append(string.Empty.PadRight(w));
        foreach (var n in ClassNames)
        {
            sb.Append(ci, $"{n,6}");
        }

        sb.Append('\n');
        for (var r = 0; r < ClassNames.Count; r++)
        {
            sb.Append(ClassNames[r].PadRight(w));
            for (var c = 0; c < ClassNames.Count; c++)
            {
                sb.Append(ci, $"{ConfusionMatrix[r, c],6}");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
