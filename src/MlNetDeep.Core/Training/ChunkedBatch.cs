using System.Numerics.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Losses;

namespace MlNetDeep.Training;

/// <summary>
/// Forward and backward of one training mini-batch in chunks of rows (see <see cref="Trainer"/>'s remarks): each chunk's
/// cost gradient is weighted by the chunk's share of the batch (its rows, or its example weights) and its gradients add
/// up in the parameters', which the caller cleared before and steps after. Reuses its buffers: allocates nothing once warm.
/// </summary>
internal sealed class ChunkedBatch
{
    private Tensor? _features;
    private Tensor? _targets;
    private Tensor? _gradient;

    /// <summary>Sees each chunk's outputs and targets before its backward pass (divergence checks, accuracy counts).</summary>
    public interface IObserver
    {
        /// <summary>A chunk's outputs, with its targets.</summary>
        void OnOutput(Tensor output, Tensor targets);
    }

    /// <summary>True when a batch of <paramref name="rows"/> rows is trained in chunks of <paramref name="chunkRows"/> (0: never): when it makes two or more.</summary>
    public static bool Splits(int rows, int chunkRows) => chunkRows > 0 && rows >= 2 * chunkRows;

    /// <summary>
    /// Runs <paramref name="features"/> (with <paramref name="targets"/> and, if not empty, <paramref name="weights"/>)
    /// forward and backward through <paramref name="network"/> in chunks of <paramref name="chunkRows"/> rows; returns
    /// the batch's (weighted) mean cost.
    /// </summary>
    public double Run(Layer network, Loss loss, Tensor features, Tensor targets, ReadOnlySpan<float> weights, int chunkRows, IObserver? observer)
    {
        var count = features.Rows;
        var weighted = !weights.IsEmpty;
        var total = weighted ? TensorPrimitives.Sum(weights) : count;
        double cost = 0;
        for (var first = 0; first < count; first += chunkRows)
        {
            var rows = Math.Min(chunkRows, count - first);
            var x = Tensor.Ensure(ref _features, rows, features.Shape[1..]);
            features.CopyRowsTo(first, x);
            var y = Tensor.Ensure(ref _targets, rows, targets.Shape[1..]);
            targets.CopyRowsTo(first, y);
            var output = network.Forward(x, training: true);
            observer?.OnOutput(output, y);
            var gradient = Tensor.Ensure(ref _gradient, rows, network.OutputShape);
            var part = weighted ? loss.Compute(output, y, gradient, weights.Slice(first, rows)) : loss.Compute(output, y, gradient);
            var share = weighted ? (total > 0 ? TensorPrimitives.Sum(weights.Slice(first, rows)) / total : 0f) : (float)rows / count;
            cost += part * share;
            TensorPrimitives.Multiply(gradient.Span, share, gradient.Span);
            network.Backward(gradient);
        }

        return cost;
    }
}
