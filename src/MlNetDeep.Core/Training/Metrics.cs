using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;

namespace MlNetDeep.Training;

/// <summary>Counting helpers shared by training and evaluation.</summary>
internal static class Metrics
{
    /// <summary>
    /// Correct decisions in a batch: one per row for a multi-output softmax (argmax against the class index or
    /// the target's argmax), one per output for sigmoid outputs (z &gt; 0 against y &gt; 0.5). A NaN or infinite
    /// output is never a correct decision.
    /// </summary>
    public static (long Correct, long Decisions) CountCorrect(Tensor output, Tensor target, Loss loss)
    {
        var k = output.RowSize;
        long correct = 0;
        if (k == 1 || loss is BinaryCrossEntropy)
        {
            for (var i = 0; i < output.Length; i++)
            {
                if (float.IsFinite(output[i]) && (output[i] > 0) == (target[i] > 0.5f))
                {
                    correct++;
                }
            }

            return (correct, output.Length);
        }

        for (var r = 0; r < output.Rows; r++)
        {
            var predicted = ArgMax(output.Data.AsSpan(r * k, k));
            var actual = target.RowSize == 1 ? (int)target[r] : ArgMax(target.Data.AsSpan(r * k, k));
            if (predicted == actual)
            {
                correct++;
            }
        }

        return (correct, output.Rows);
    }

    /// <summary>Mean loss and accuracy (null for regression losses) of the network in inference mode.</summary>
    public static (double Loss, double? Accuracy) Evaluate(Layer network, Loss loss, Tensor features, Tensor targets, int batchSize)
    {
        double lossSum = 0;
        long correct = 0, decisions = 0;
        Tensor? y = null;
        var targetShape = targets.Shape[1..].ToArray();
        Inference.ForEachBatch(network, features, batchSize, (output, start) =>
        {
            var count = output.Rows;
            Tensor.Ensure(ref y, count, targetShape);
            targets.Data.AsSpan(start * targets.RowSize, count * targets.RowSize).CopyTo(y!.Span);
            lossSum += loss.Compute(output, y, null) * count;
            if (loss.IsClassification)
            {
                var (c, d) = CountCorrect(output, y, loss);
                correct += c;
                decisions += d;
            }
        });

        return (lossSum / features.Rows, loss.IsClassification ? (double)correct / decisions : null);
    }

    /// <summary>The index of the largest value, or −1 when a value is NaN or infinite (a row with no prediction).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (!VectorOps.AllFinite(values))
        {
            return -1;
        }

        var best = 0;
        for (var j = 1; j < values.Length; j++)
        {
            if (values[j] > values[best])
            {
                best = j;
            }
        }

        return best;
    }
}
